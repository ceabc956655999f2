import { parseArgs } from "node:util";
import { MAX_CONFIGURED_VERIFY_WORKERS } from "../../crypto/verify-pool.ts";

/** The bench's command line: every option, its default, and the help text that explains them and the figures. */

export interface BenchOptions {
  validators: number;
  /** Offered tx/s; 0 = unpaced (as fast as the nodes accept). */
  rate: number;
  txs: number;
  accounts: number;
  concurrency: number;
  batch: number;
  blockIntervalMs: number;
  timeoutMs: number;
  newAccounts: boolean;
  verifyMs: number;
  saturation: boolean;
  saturationStart: number;
  saturationStep: number;
  saturationMax: number;
  stepMs: number;
  p99LimitMs: number;
  /** After the saturation search, offer twice the saturation point and divide what commits by the peak. */
  overload: boolean;
  overloadMs: number;
  /** The load client sends every refused tx again at once (the old client), not a sender's first only. */
  resendAll: boolean;
  /** [verify] workers of every node; undefined: as the home was made (a devnet's share of the cores). */
  verifyWorkers: number | undefined;
}

/** The saturation point's latency bound (the "commits everything with p99 <= 2.5 s"). */
export const SATURATION_P99_LIMIT_MS = 2_500;

export const HELP = `Transfer throughput benchmark: starts real nodes (own processes, on 127.0.0.1), a single validator or a
devnet of N validators with the node's default limits (mempool size included, so back-pressure is seen as a
real client sees it), measures one core's ed25519 verify rate first, funds the sending accounts, sends
pre-signed transfers over JSON-RPC batches from concurrent clients spread over every node's RPC, and prints
one human line and one JSON line. It stops by itself (--timeout) and removes its nodes and temp dir on every
path, Ctrl-C included.

  npm run bench                                              # 1 validator, 60,000 transfers, unpaced
  npm run bench -- --validators 4 --rate 2000 --txs 120000   # 4 validators offered 2,000 tx/s for 60 s
  npm run bench -- --validators 4 --rate 4000 --txs 120000   # 4 validators offered 4,000 tx/s for 30 s
  npm run bench -- --new-accounts                            # every transfer creates a new account
  npm run bench -- --validators 4 --saturation               # the saturation point of 4 validators
  npm run bench -- --validators 4 --overload                 # ... then twice that offered: rate / peak

Options:
  --validators N        nodes, all validators (default 1; N > 1 is a devnet made like \`opl devnet\`)
  --txs N               transfers to send (default 60000)
  --rate R              offer R tx/s, staggered over the clients (default 0 = unpaced: as fast as accepted)
  --accounts N          funded sending accounts (default 32); each sends its txs in nonce order via one client
  --concurrency N       load clients (default 8); client c talks to node c mod N
  --batch N             transactions per tx_submit batch (default 250); with --rate, smaller when needed so
                        each client sends at least one batch a second (at 20 tx/s: 3)
  --new-accounts        every transfer goes to a fresh address (creates an account) instead of one recipient
  --block-interval MS   consensus.block_interval_ms of every node (default 1000)
  --verify-seconds S    how long each measurement of the one-core verify rate lasts (default 1.5)
  --timeout S           the whole run's bound (default 180; 900 with --saturation)
  --saturation          find the saturation point instead of one run: step the offered rate on one devnet,
                        each step a short run, until a step fails; the answer is the highest passing rate
  --saturation-start R  first step's rate (default 500)
  --saturation-step R   added per step (default 250)
  --saturation-max R    last step's rate at most (default 10000)
  --step-seconds S      load per step (default 20)
  --p99-limit MS        a step passes when every tx commits with p99 <= MS (default ${SATURATION_P99_LIMIT_MS})
  --overload            --saturation, then one step offering twice the saturation point on the same devnet;
                        its committed rate is divided by the peak (the highest step's committed rate)
  --overload-seconds S  the overload step's offer (default 30); it then runs until all of it is committed
  --resend-all          the load client sends every refused tx again at once (the client before it held a
                        refused sender's later nonces back; for comparison)
  --verify-workers N    [verify] workers of every node, 0 to 64 (0: one per core, up to 4; default: as made:
                        one per core for 1 validator, a share of the cores for a devnet, as \`opl devnet\` does)
  --help                this text

Figures (JSON field names; the human line shows the main ones):
  verifyPerSecOneCore   ed25519 verifies per second on one core (when: below): synchronous
                        node:crypto (OpenSSL) verify, cached public keys, of signed transfers' txSignBytes (the
                        node's verify until 2026-12-07, and the unit of every earlier figure and of the issue's
                        goals), in the fastest 100 ms window of the measurement
                        (a core's own speed, not how busy the machine was); verifyUs is one verify's time in
                        microseconds, verifyUsMedian the median window's. Measured before the nodes start; a
                        single run (not --saturation) measures it again after the load and uses the faster
                        of the two (verifyUsBefore, verifyUsAfter): a host whose cores ran slow at the start
                        would flatter every ratio. nodeVerifyUs: one verify as the node now does it (libsodium,
                        crypto/ed25519.ts), fastest window, timed in windows alternating with OpenSSL's
  txs, complete, committedTxs, seconds, committedTxPerSec
                        transfers sent and committed, over the seconds from the first submit to the last commit;
                        a run that times out prints its figures with complete: false (latencies then count the
                        committed ones only) and exits with 1
  committedPerVerifyRate   committedTxPerSec / verifyPerSecOneCore (1.0 = one core's verify rate)
  submitTxPerSec        how fast the clients got every tx accepted
  latencyMsP50/P99      submit-to-commit latency (from a tx's first attempt to when node 0 announced the block
                        that has it: the bench follows its "blocks" subscription over WebSocket)
  latencyPartsMs        p50/p99 of its parts: admission (first attempt to the tx_submit answer that accepted it),
                        toBlock (that answer to its block's header time, when the proposer built it; negative if
                        built before the batch was answered), blockToSeen (header time to seen committed)
  submitAnswerMsP50/P99 how long a tx_submit batch takes to be answered: how quickly a client hears back-pressure
  refusals, refusalsByReason   back-pressure refusals (MEMPOOL_FULL, NONCE_TOO_HIGH, SENDER_QUEUE_FULL), each
                        retried after 50 ms; any other refusal stops the bench
  blocks, maxBlockTxs, blockIntervalMsMean/Max   non-empty blocks, the largest, block time gaps by header time
  heights, maxRound, rounds, heightsOver1Round, heightsOver2Rounds
                        heights decided during the run, read from the chain: block h+1's lastCommit.round is the
                        round at which h was decided (0-based); rounds = maxRound + 1
  laterRounds, blockSyncs   per node, from its log: rounds started past 0, block syncs started
  verifyWorkers         each node's signature-verification threads (its [verify] workers, 0 resolved)
  nodePeakRssMb, nodeCpuSeconds   per node: peak RSS, CPU seconds (all threads) from the first submit to the end
  cpuPerTxInVerifies    per node: (CPU seconds / committed txs) / one verify's time; cpuPerTxInVerifiesMean
  cpuPerTxByThread      the same per node split by thread (Linux /proc): verify (the signature workers, the
                        verify itself and its contention with every other thread on the machine), main (the
                        event loop), v8 (V8's GC and compiler threads), io (libuv's pool: LevelDB and its
                        compaction), other (threads that ended, threads of other names);
                        cpuPerTxByThreadMean, the nodes' mean
  verifyUsInRun         per node: one verify as its workers did them during the run, in microseconds: their
                        threads' CPU per signature sent (opl_verify_signatures_total, read from /metrics at the
                        start and the end). The yardstick above is a fastest window outside the load; this one is
                        taken under the load's host speed and contention (a little generous to the node: it
                        includes the workers' reading, hashing and answering of each signature)
  verifySignatures      per node: the signatures its workers were sent over the load (one per tx it verified;
                        votes are verified on the main thread); null where a node's /metrics could not be read,
                        and then its in-run figures are null too (the means are over the others)
  signaturesPerVerifyMessage   per node: those signatures over the messages they went to the workers in
                        (opl_verify_messages_total): each message costs a postMessage and a worker's wake-up
  cpuPerTxInRunVerifies, cpuPerTxInRunVerifiesMean   CPU per tx per node in verifyUsInRun units
  committedPerInRunVerifyRate   committedTxPerSec / (1e6 / the nodes' mean verifyUsInRun)
  cpuPerTxInNodeVerifiesMean, committedPerNodeVerifyRate   cpuPerTxInVerifiesMean and committedPerVerifyRate
                        against nodeVerifyUs instead of verifyUs
  clientCpuSeconds      this load generator's CPU (it shares the machine with the nodes)
  followerSubscribed    true if node 0 announced every block (its "blocks" subscription); false if the bench
                        fell back to asking it node_getStatus at each poll (commits then seen later, node 0
                        busier): figures of such a run are not comparable with others
  accountsCreated, accountsChecked   with --new-accounts: the accounts the run's transfers created, and how
                        many of them (spread over the run) the chain was asked for afterwards, each holding
                        what was sent to it
With --saturation, one line per step and a JSON line with the steps, saturationTxPerSec (the highest offered
rate that committed everything with p99 within the limit) and saturationPerVerifyRate (its ratio to the
one-core verify rate). Each step's steadyTxPerSec: its txs committed per second from the end of a warm-up
(5 s, at most half the step) to the end of its offer. With --overload also: peakTxPerSec (the highest step's
steadyTxPerSec), overloadOfferedTxPerSec (twice the saturation point), overloadTxPerSec (the overload step's
steadyTxPerSec), overloadPerPeak (the issue's ">= 90% of its peak rate") and overloadPerSaturation, and the
overload step's figures (complete: every tx offered was committed in the end, refusals retried; its rounds,
tx_submit answer times and refusals). Each step and the overload step carry cpuPerTxInVerifiesMean and
cpuPerTxInRunVerifiesMean (the run's own verify, as above).

Environment: OPL_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR" profiles the nodes; BENCH_LOGS=DIR keeps each
node's log (BENCH_LOG_LEVEL=debug adds the per-height timings: proposal built, assembled, checked, committed,
and how long each own signature waited for the disk); BENCH_TX_TIMES=FILE writes one CSV line per committed
tx (ms from the load's start: sent, accepted, built, seen); BENCH_TREE_CACHE_BYTES=N,
BENCH_VALUE_CACHE_BYTES=N and BENCH_WRITE_BUFFER_BYTES=N set every node's [state] cache_bytes, value_cache_bytes
and write_buffer_bytes (what the caches and LevelDB's write buffer cost or save).`;

function positive(name: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}, got "${text}"`);
  return n;
}

/** --verify-workers: what [verify] workers takes (0: one per core, up to 4). */
function verifyWorkers(text: string): number {
  const n = positive("verify-workers", text, 0);
  if (!Number.isInteger(n) || n > MAX_CONFIGURED_VERIFY_WORKERS) {
    throw new Error(`--verify-workers must be an integer from 0 to ${MAX_CONFIGURED_VERIFY_WORKERS}, got ${text}`);
  }
  return n;
}

export function parseBenchOptions(argv: string[]): BenchOptions | "help" {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      "validators": { type: "string", default: "1" },
      "rate": { type: "string", default: "0" },
      "txs": { type: "string", default: "60000" },
      "accounts": { type: "string", default: "32" },
      "concurrency": { type: "string", default: "8" },
      "batch": { type: "string", default: "250" },
      "block-interval": { type: "string", default: "1000" },
      "timeout": { type: "string" },
      "new-accounts": { type: "boolean", default: false },
      "verify-seconds": { type: "string", default: "1.5" },
      "saturation": { type: "boolean", default: false },
      "saturation-start": { type: "string", default: "500" },
      "saturation-step": { type: "string", default: "250" },
      "saturation-max": { type: "string", default: "10000" },
      "step-seconds": { type: "string", default: "20" },
      "p99-limit": { type: "string", default: String(SATURATION_P99_LIMIT_MS) },
      "overload": { type: "boolean", default: false },
      "overload-seconds": { type: "string", default: "30" },
      "resend-all": { type: "boolean", default: false },
      "verify-workers": { type: "string" },
      "help": { type: "boolean", default: false },
    },
  });
  if (a.help) return "help";
  const saturation = a.saturation || a.overload;
  return {
    validators: positive("validators", a.validators),
    rate: positive("rate", a.rate, 0),
    txs: positive("txs", a.txs),
    accounts: positive("accounts", a.accounts),
    concurrency: positive("concurrency", a.concurrency),
    batch: positive("batch", a.batch),
    blockIntervalMs: positive("block-interval", a["block-interval"], 10),
    timeoutMs: positive("timeout", a.timeout ?? (saturation ? "900" : "180")) * 1000,
    newAccounts: a["new-accounts"],
    verifyMs: positive("verify-seconds", a["verify-seconds"], 0.1) * 1000,
    saturation,
    saturationStart: positive("saturation-start", a["saturation-start"]),
    saturationStep: positive("saturation-step", a["saturation-step"]),
    saturationMax: positive("saturation-max", a["saturation-max"]),
    stepMs: positive("step-seconds", a["step-seconds"]) * 1000,
    p99LimitMs: positive("p99-limit", a["p99-limit"]),
    overload: a.overload,
    overloadMs: positive("overload-seconds", a["overload-seconds"]) * 1000,
    resendAll: a["resend-all"],
    verifyWorkers: a["verify-workers"] === undefined ? undefined : verifyWorkers(a["verify-workers"]),
  };
}

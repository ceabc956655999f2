/**
 * Transfer throughput benchmark (`npm run bench -- --help` explains every option and figure; options.ts).
 *
 * One run: measure one core's verify rate (verify-rate.ts; a single run measures it again after the load and
 * uses the faster), start the nodes with their default limits
 * (bench-net.ts), fund the senders (funding.ts), send pre-signed transfers from concurrent clients while
 * following the chain (load.ts, chain-follower.ts), print the figures with their verify-rate ratios
 * (figures.ts). With --saturation, step the offered rate on the same devnet instead (saturation.ts).
 * Bounded: it stops by itself (--timeout) and removes its nodes and temp dir on every path, Ctrl-C included.
 */
import { RpcClient } from "../../rpc/client.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { BenchNet, peakRssMb } from "./bench-net.ts";
import { ChainFollower } from "./chain-follower.ts";
import { runFigures, type RunFigures } from "./figures.ts";
import { fundAccounts } from "./funding.ts";
import { freshAddress, runLoad, signTransfers, TRANSFER_AMOUNT, type Workload } from "./load.ts";
import { NewAccounts } from "./new-accounts.ts";
import { type BenchOptions, HELP, parseBenchOptions } from "./options.ts";
import { overloadRatios, steadyTxPerSec } from "./overload.ts";
import { findSaturation, pacedBatch, stepBatch } from "./saturation.ts";
import type { ThreadSplit } from "./thread-groups.ts";
import { fasterOf, measureVerifyRate, type VerifyRate } from "./verify-rate.ts";

const CHAIN = "opl-bench-1";
const FEE = DEFAULT_PARAMS.minFee;
/** Each sender's funds: 10 million transfers' fees, more than any run sends. */
const SENDER_FUNDS = 10_000_000n * FEE;
/** How long a saturation step may take past its load to commit what it was offered (it fails beyond). */
const STEP_COMMIT_GRACE_MS = 15_000;
/**
 * The most the overload step waits for the failed step's leftovers to be sent and committed first. Its
 * committed rate counts its own txs only, and a backlog ahead of them would be counted as the chain's
 * slowness; and the leftovers must be sent: the overload step's txs take the next nonces, which would wait
 * forever behind a nonce never sent.
 */
const DRAIN_MS = 60_000;
/** Recipients of --new-accounts asked for after a run (each must hold what was sent to it). */
const NEW_ACCOUNTS_CHECKED = 500;
/** If the run has not ended this long after --timeout (a hung call), it is stopped from outside. */
const HARD_STOP_GRACE_MS = 30_000;

let opts: BenchOptions;
try {
  const parsed = parseBenchOptions(process.argv.slice(2));
  if (parsed === "help") {
    console.log(HELP);
    process.exit(0);
  }
  opts = parsed;
} catch (err) {
  console.error(`bench: ${(err as Error).message} (see --help)`);
  process.exit(2);
}

const net = new BenchNet();
let exiting = false;
/** The one way out: stop the nodes, remove the temp dir, exit. */
async function exit(code: number, message?: string): Promise<void> {
  if (exiting) return;
  exiting = true;
  if (message !== undefined) console.error(message);
  await net.stop();
  process.exit(code);
}
process.once("SIGINT", () => void exit(130, "bench: interrupted; stopping the nodes"));
process.once("SIGTERM", () => void exit(143, "bench: terminated; stopping the nodes"));
// A call left in flight when the nodes go (Ctrl-C, a failure elsewhere) must not end the process before the
// cleanup does: it leads here, and while an exit is under way it is ignored.
process.on("unhandledRejection", (err) => void exit(1, `bench failed: ${(err as Error)?.message ?? String(err)}`));
setTimeout(
  () => void exit(1, `bench: still running ${HARD_STOP_GRACE_MS / 1000} s past --timeout; stopped`),
  opts.timeoutMs + HARD_STOP_GRACE_MS,
).unref();

const deadline = Date.now() + opts.timeoutMs;
const log = (line: string) => console.log(line);

function nodeLogFigures() {
  return {
    // Rounds past 0 (a proposal or votes missed their timeout) and block syncs, per node, from their logs.
    laterRounds: net.nodes.map((n) => n.logLines.filter((l) => l.includes(`"msg":"new round"`)).length),
    blockSyncs: net.nodes.map((n) => n.logLines.filter((l) => l.includes("block sync: behind")).length),
    nodePeakRssMb: net.pids.map((pid) => Math.round(peakRssMb(pid))),
  };
}

/** Where a tx's CPU went, by thread group (verifies per tx). */
function threadSplitText(s: ThreadSplit): string {
  return `verify threads ${s.verify}, main ${s.main}, V8 helpers ${s.v8}, libuv ${s.io}, other ${s.other}`;
}

function humanLine(f: RunFigures, v: VerifyRate): string {
  return (
    `committed ${f.committedTxs} transfers in ${f.seconds} s: ${f.committedTxPerSec} tx/s = ` +
    `${f.committedPerVerifyRate} x one core's verify rate (${v.verifyPerSecOneCore}/s, OpenSSL's; ` +
    `${f.committedPerNodeVerifyRate} x the node's own, libsodium at ${v.nodeVerifyUs} us); latency p50 ` +
    `${f.latencyMsP50} ms, p99 ${f.latencyMsP99} ms (p99 of its parts: admission ${f.latencyPartsMs.admission.p99}, ` +
    `to block ${f.latencyPartsMs.toBlock.p99}, block to seen ${f.latencyPartsMs.blockToSeen.p99} ms); CPU per tx per node ${f.cpuPerTxInVerifies.join("/")} verifies ` +
    `(mean ${f.cpuPerTxInVerifiesMean}: ${threadSplitText(f.cpuPerTxByThreadMean)}; ` +
    `${f.cpuPerTxInNodeVerifiesMean} of the node's own); against the run's own verify ` +
    `(its workers' CPU per signature, ${f.verifyUsInRun.map((u) => u.toFixed(0)).join("/")} us against ${v.verifyUs} us): ` +
    `CPU per tx ${f.cpuPerTxInRunVerifiesMean} verifies, committed ${f.committedPerInRunVerifyRate} x that rate; rounds ${f.rounds} (${f.heightsOver1Round} of ${f.heights} heights ` +
    `over 1, ${f.heightsOver2Rounds} over 2); block interval ${f.blockIntervalMsMean} ms (max ` +
    `${f.blockIntervalMsMax}); submit answered p99 ${f.submitAnswerMsP99} ms, ${f.refusals} refusals` +
    (f.followerSubscribed ? "" : "; node 0's block subscription failed, commits were polled for: not comparable")
  );
}

/** Starts the nodes, funds the senders; returns what a load needs. */
async function setUp(accounts: number) {
  const faucetKey = await net.start({
    validators: opts.validators,
    chainId: CHAIN,
    blockIntervalMs: opts.blockIntervalMs,
    batch: opts.batch,
    verifyWorkers: opts.verifyWorkers,
  });
  log(`${net.nodes.length} node(s), pids ${net.pids.join(" ")}; temp dir ${net.dir}`);
  const follower = new ChainFollower(net.nodes[0].url);
  await follower.init();
  const senders = Array.from({ length: accounts }, () => new TestAccount());
  await fundAccounts({
    rpc: new RpcClient(net.nodes[0].url),
    follower,
    chainId: CHAIN,
    faucet: new TestAccount(faucetKey),
    recipients: senders.map((s) => s.address),
    amount: SENDER_FUNDS,
    fee: FEE,
    deadline,
    log,
  });
  return { follower, senders, urls: net.nodes.map((n) => n.url) };
}

async function singleRun(verify: VerifyRate): Promise<void> {
  const { follower, senders, urls } = await setUp(opts.accounts);
  const batch = pacedBatch(opts.rate, opts.concurrency, opts.batch);
  log(
    `${opts.txs} transfers from ${opts.accounts} accounts${opts.newAccounts ? ", each to a new account" : ""}, ` +
    `${opts.concurrency} clients x batches of ${batch}, ${opts.rate > 0 ? `${opts.rate} tx/s offered` : "unpaced"}`,
  );
  const signStart = performance.now();
  const recipient = freshAddress();
  const newAccounts = new NewAccounts();
  const work = signTransfers({
    chainId: CHAIN,
    senders,
    count: opts.txs,
    concurrency: opts.concurrency,
    fee: FEE,
    recipient: opts.newAccounts ? newAccounts.next : () => recipient,
  });
  log(`signed ${opts.txs} txs in ${((performance.now() - signStart) / 1000).toFixed(1)} s`);
  const load = await runLoad({
    urls,
    pids: net.pids,
    follower,
    work,
    rate: opts.rate,
    batch,
    deadline,
    resendAll: opts.resendAll,
  });
  // The yardstick again, now that the load is over (the nodes idle, unless the run timed out with a backlog:
  // the faster of the two is used, so a busy machine then can only make the ratios conservative).
  const yardstick = fasterOf(verify, measureVerifyRate(CHAIN, opts.verifyMs));
  log(
    `one verify took ${yardstick.verifyUsAfter} us after the load against ${yardstick.verifyUsBefore} us before ` +
    `the nodes started: the ratios use ${yardstick.verifyUs} us`,
  );
  const figures = runFigures(load, yardstick, follower);
  // Each committed transfer went to a fresh address; the chain is asked whether a sample of them exists.
  const accountsChecked =
    opts.newAccounts && load.complete
      ? await newAccounts.check(new RpcClient(urls[0]), TRANSFER_AMOUNT, NEW_ACCOUNTS_CHECKED)
      : 0;
  // An incomplete run still prints what it measured (an overload run's committed rate and rounds are the
  // point), then fails: its latencies count only the committed transactions.
  if (!load.complete) log(`INCOMPLETE: only ${load.committed} of ${load.txs} committed before the timeout`);
  log(humanLine(figures, yardstick));
  console.log(
    JSON.stringify({
      validators: net.nodes.length,
      verifyWorkers: net.verifyWorkers,
      offeredTxPerSec: opts.rate > 0 ? opts.rate : "unpaced",
      txs: load.txs,
      complete: load.complete,
      accounts: opts.accounts,
      newAccounts: opts.newAccounts,
      accountsCreated: opts.newAccounts ? load.committed : 0,
      accountsChecked,
      ...yardstick,
      ...figures,
      ...nodeLogFigures(),
    }),
  );
  if (!load.complete) throw new Error(`only ${load.committed} of ${load.txs} committed before the timeout`);
}

/** Waits until every node's mempool is empty (true) or the deadline passes (false). */
async function mempoolsEmpty(urls: readonly string[], until: number): Promise<boolean> {
  const rpcs = urls.map((u) => new RpcClient(u));
  for (;;) {
    const sizes = await Promise.all(rpcs.map((r) => r.call<{ mempoolSize: number }>("node_getStatus")));
    if (sizes.every((s) => s.mempoolSize === 0)) return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

type StepSetup = Awaited<ReturnType<typeof setUp>> & { recipient: Uint8Array };

/** One step of the saturation search (or the overload step): `rate` tx/s offered for `offerMs` on the devnet. */
async function offerStep(
  verify: VerifyRate,
  setup: StepSetup,
  rate: number,
  offerMs: number,
  commitBudgetMs: number,
) {
  const { follower, senders, urls } = setup;
  const work = signTransfers({
    chainId: CHAIN,
    senders,
    count: Math.round((rate * offerMs) / 1000),
    concurrency: opts.concurrency,
    fee: FEE,
    recipient: opts.newAccounts ? freshAddress : () => setup.recipient,
  });
  const load = await runLoad({
    urls,
    pids: net.pids,
    follower,
    work,
    rate,
    batch: stepBatch(rate, opts.concurrency, opts.batch),
    deadline: Math.min(deadline, Date.now() + commitBudgetMs),
    resendAll: opts.resendAll,
  });
  const f = runFigures(load, verify, follower);
  return { load, f, steadyTxPerSec: steadyTxPerSec(load, offerMs) };
}

/** The most an overload step may take: its offer, twice that to commit it at half the rate, and a grace. */
function overloadBudgetMs(): number {
  return 3 * opts.overloadMs + STEP_COMMIT_GRACE_MS;
}

async function saturationRun(verify: VerifyRate): Promise<void> {
  const setup = { ...(await setUp(opts.accounts)), recipient: freshAddress() };
  log(
    `saturation of ${net.nodes.length} validator(s): from ${opts.saturationStart} tx/s, +${opts.saturationStep} per ` +
    `step, ${opts.stepMs / 1000} s of load per step, pass = all committed with p99 <= ${opts.p99LimitMs} ms`,
  );
  let leftovers: Workload = { all: [], byClient: [] };
  const result = await findSaturation({
    start: opts.saturationStart,
    step: opts.saturationStep,
    max: opts.saturationMax,
    // With --overload, the search leaves the overload step its time.
    deadline: opts.overload ? deadline - overloadBudgetMs() : deadline,
    stepBudgetMs: opts.stepMs + STEP_COMMIT_GRACE_MS,
    runStep: async (rate) => {
      const stepBudgetMs = opts.stepMs + STEP_COMMIT_GRACE_MS;
      const { load, f, steadyTxPerSec } = await offerStep(verify, setup, rate, opts.stepMs, stepBudgetMs);
      leftovers = load.pending;
      const ok = load.complete && f.latencyMsP99 <= opts.p99LimitMs;
      log(
        `step ${rate} tx/s: committed ${f.committedTxs}/${load.txs}, ${f.committedTxPerSec} tx/s (steady ` +
        `${steadyTxPerSec}), p99 ${f.latencyMsP99} ms, rounds ${f.rounds}, CPU per tx ${f.cpuPerTxInVerifiesMean} ` +
        `verifies (${f.cpuPerTxInRunVerifiesMean} in-run), ${f.refusals} refusals -> ${ok ? "pass" : "FAIL"}`,
      );
      return {
        offeredTxPerSec: rate,
        ok,
        txs: load.txs,
        committedTxs: f.committedTxs,
        committedTxPerSec: f.committedTxPerSec,
        steadyTxPerSec,
        committedPerVerifyRate: f.committedPerVerifyRate,
        latencyMsP50: f.latencyMsP50,
        latencyMsP99: f.latencyMsP99,
        maxRound: f.maxRound,
        heightsOver2Rounds: f.heightsOver2Rounds,
        submitAnswerMsP99: f.submitAnswerMsP99,
        refusals: f.refusals,
        cpuPerTxInVerifiesMean: f.cpuPerTxInVerifiesMean,
        cpuPerTxInRunVerifiesMean: f.cpuPerTxInRunVerifiesMean,
      };
    },
  });
  const answer = result.saturationTxPerSec;
  const ratio = answer === null ? null : Number((answer / verify.verifyPerSecOneCore).toFixed(3));
  log(
    answer === null
      ? `saturation: no step passed (stopped by ${result.stoppedBy})`
      : `saturation of ${net.nodes.length} validator(s): ${answer} tx/s = ${ratio} x one core's verify rate ` +
        `(${verify.verifyPerSecOneCore}/s); stopped by ${result.stoppedBy}`,
  );
  const overload =
    opts.overload && answer !== null ? await overloadStep(verify, setup, answer, result.steps, leftovers) : {};
  console.log(
    JSON.stringify({
      mode: opts.overload ? "overload" : "saturation",
      validators: net.nodes.length,
      verifyWorkers: net.verifyWorkers,
      newAccounts: opts.newAccounts,
      p99LimitMs: opts.p99LimitMs,
      stepSeconds: opts.stepMs / 1000,
      ...verify,
      saturationTxPerSec: answer,
      saturationPerVerifyRate: ratio,
      stoppedBy: result.stoppedBy,
      steps: result.steps,
      followerSubscribed: setup.follower.subscribedThroughout,
      ...overload,
      ...nodeLogFigures(),
    }),
  );
  if (opts.overload && answer === null) throw new Error("--overload: no saturation step passed, nothing to double");
}

/** Offers twice the saturation point on the same devnet; its committed rate over the peak of the steps. */
async function overloadStep(
  verify: VerifyRate,
  setup: StepSetup,
  saturationTxPerSec: number,
  steps: readonly { steadyTxPerSec: number }[],
  leftovers: Workload,
) {
  const rate = 2 * saturationTxPerSec;
  const peakTxPerSec = Math.max(...steps.map((s) => s.steadyTxPerSec));
  const drainUntil = Math.min(deadline - overloadBudgetMs(), Date.now() + DRAIN_MS);
  if (leftovers.all.length > 0) {
    log(`overload: first sending and committing the last step's ${leftovers.all.length} leftovers`);
    await runLoad({
      urls: setup.urls,
      pids: net.pids,
      follower: setup.follower,
      work: leftovers,
      rate: 0,
      batch: opts.batch,
      deadline: drainUntil,
      resendAll: opts.resendAll,
    });
  }
  const drained = await mempoolsEmpty(setup.urls, drainUntil);
  log(
    `overload: ${rate} tx/s offered (twice the saturation point) for ${opts.overloadMs / 1000} s` +
    `${drained ? "" : " (the last step's leftovers were still pending)"}`,
  );
  const step = await offerStep(verify, setup, rate, opts.overloadMs, overloadBudgetMs());
  const { load, f, steadyTxPerSec: overloadTxPerSec } = step;
  const ratios = overloadRatios({ overloadTxPerSec, peakTxPerSec, saturationTxPerSec });
  log(
    `overload: committed ${overloadTxPerSec} tx/s under ${rate} tx/s offered = ${ratios.overloadPerPeak} x the peak ` +
    `(${peakTxPerSec} tx/s, the highest step's steady rate) = ${ratios.overloadPerSaturation} x the saturation point; ` +
    `${load.complete ? "every tx committed in the end" : `INCOMPLETE: ${f.committedTxs}/${load.txs} committed`}; rounds ` +
    `${f.rounds} (${f.heightsOver2Rounds} heights over 2); tx_submit answered p99 ${f.submitAnswerMsP99} ms; ` +
    `refusals ${JSON.stringify(f.refusalsByReason)}; CPU per tx ${f.cpuPerTxInVerifiesMean} verifies ` +
    `(${f.cpuPerTxInRunVerifiesMean} in-run)`,
  );
  return {
    peakTxPerSec,
    overloadOfferedTxPerSec: rate,
    overloadTxPerSec,
    ...ratios,
    overload: {
      complete: load.complete,
      txs: load.txs,
      committedTxs: f.committedTxs,
      committedTxPerSec: f.committedTxPerSec,
      latencyMsP50: f.latencyMsP50,
      latencyMsP99: f.latencyMsP99,
      maxRound: f.maxRound,
      heightsOver2Rounds: f.heightsOver2Rounds,
      blockIntervalMsMax: f.blockIntervalMsMax,
      submitAnswerMsP50: f.submitAnswerMsP50,
      submitAnswerMsP99: f.submitAnswerMsP99,
      refusals: f.refusals,
      refusalsByReason: f.refusalsByReason,
      cpuPerTxInVerifiesMean: f.cpuPerTxInVerifiesMean,
      cpuPerTxInRunVerifiesMean: f.cpuPerTxInRunVerifiesMean,
      clientCpuSeconds: f.clientCpuSeconds,
    },
  };
}

try {
  // Before any node runs: the machine's verify rate as the nodes will find it.
  const verify = measureVerifyRate(CHAIN, opts.verifyMs);
  log(
    `one core verifies ${verify.verifyPerSecOneCore} signatures/s (${verify.verifyUs} us each, OpenSSL's), the ` +
    `fastest 100 ms of ${opts.verifyMs / 1000} s (median ${verify.verifyUsMedian} us); the node's own verify ` +
    `(libsodium) ${verify.nodeVerifyUs} us`,
  );
  await (opts.saturation ? saturationRun(verify) : singleRun(verify));
  await exit(0);
} catch (err) {
  await exit(1, `bench failed: ${(err as Error).message}`);
}

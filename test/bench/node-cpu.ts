/**
 * Main-thread CPU per transaction, stage by stage, in multiples of one ed25519 verify measured in the same
 * run. In-process, no network: two nodes' applications (a proposer and a peer) over real LevelDB in a temp
 * dir, one validator. For each scenario it measures, per transaction:
 *   - admit:  Mempool.add of N signed transfers (decode, state checks; the signature already verified)
 *   - build:  ChainApp.propose of a block of them (reap, execute, roots)
 *   - check:  a second ChainApp validating a decoded copy of the block, as a peer would (decode, execute, roots;
 *             the peer admitted the same txs first, as the relay brings them, so it finds them decoded)
 *   - commit: ChainApp.commit on the proposer and on the peer, to LevelDB (each counted separately)
 * for transfers between existing accounts and for transfers that each create a new account.
 * And one line for the verify itself as the node runs it: through the worker pool (crypto/verify-pool.ts), the
 * signatures asked one per turn of the event loop (as an RPC batch's calls resume once past their work slice,
 * rpc/pacer.ts: in a 4-validator bench run the pool got ~10 signatures per flush), its CPU over every thread,
 * per signature: one verify plus the pool's messages and wake-ups.
 *
 *   npm exec -- node test/bench/node-cpu.ts [--txs 10000] [--senders 500] [--repeat 5] [--profile out.cpuprofile]
 *     [--poolOnly]   (just the verify and the pool's lines)
 *     [--index on|off|both]   (default both: every block goes through a pair of nodes with the search index
 *                              on and a pair with it off, the same txs over the same state; the index's share
 *                              of each total is printed)
 *
 * --profile P writes V8 CPU profiles of the timed stages only (P.0.cpuprofile, P.1..., one per stage run),
 * not of the signing and verifying around them.
 *
 * Signatures are verified before each stage is timed (both TxVerifiers know every tx), so the figures are the
 * node's cost besides the verify itself. "A total" is the proposer's (admit + build + commit), "B total" a
 * peer's (admit + check + commit); "B+verify" adds the one verify per tx for the whole node's cost per tx. CPU is
 * process.cpuUsage (user + system, every thread: GC and LevelDB included); each stage's figure is the least
 * over --repeat blocks (and the verify's the least of 5 rounds), as load from other processes only adds. Ratios only: absolute times on a shared machine mean nothing.
 */
import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { generateSecretKey, privateKeyObject, publicKeyOf, signFast } from "../../crypto/ed25519.ts";
import { VerifyPool } from "../../crypto/verify-pool.ts";
import { ChainApp } from "../../node/chain-app.ts";
import { openChain } from "../../node/chain-open.ts";
import { DEFAULT_MEMPOOL_LIMITS, Mempool } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import { type Block, blockHash, type Commit, decodeBlock, encodeBlock } from "../../proto/block.ts";
import { PRECOMMIT, voteSignBytes } from "../../proto/consensus.ts";
import { decodeTx, txSignBytes } from "../../proto/tx.ts";
import type { Genesis } from "../../state/genesis.ts";
import { getAccount } from "../../state/modules/bank/bank.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { VERIFY_WORK } from "../../state/work.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { tempDir } from "../helpers/tmp.ts";
import { referenceVerify } from "./reference-verify.ts";

const { values: args } = parseArgs({
  options: {
    txs: { type: "string", default: "10000" },
    senders: { type: "string", default: "500" },
    repeat: { type: "string", default: "5" },
    profile: { type: "string" },
    poolOnly: { type: "boolean", default: false },
    index: { type: "string", default: "both" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(readFileSync(import.meta.filename, "utf8").split("*/")[0]);
  process.exit(0);
}
const TXS = Number(args.txs);
const SENDERS = Number(args.senders);
const REPEAT = Number(args.repeat);
const CHAIN = "opl-cpu-1";
const FEE = DEFAULT_PARAMS.minFee;
const GENESIS_TIME = 1_700_000_000_000;

const profiler = args.profile === undefined ? undefined : new Session();
/** Set once the reported blocks start: only their stages are profiled. */
let profiling = false;
let profiles = 0;

/** CPU microseconds (every thread) spent by `fn`; each reported stage profiled if --profile asks. */
async function cpuOf(fn: () => Promise<unknown>): Promise<number> {
  const profile = profiling && profiler !== undefined;
  if (profile) await profiler.post("Profiler.start");
  const before = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(before);
  if (profile) {
    const { profile: p } = await profiler.post("Profiler.stop");
    writeFileSync(`${args.profile}.${profiles++}.cpuprofile`, JSON.stringify(p));
  }
  return d.user + d.system;
}

interface Pair {
  index: boolean;
  proposer: Node;
  peer: Node;
  height: number;
}

interface Node {
  app: ChainApp;
  mempool: Mempool;
  verifier: TxVerifier;
  db: ChainDb;
}

async function openNode(dir: string, genesis: Genesis, index: boolean): Promise<Node> {
  const db = await ChainDb.open(dir);
  const { state, info, validatorSets } = await openChain(db, genesis);
  const verifier = new TxVerifier(CHAIN, { limit: 1_000_000 });
  const mempool = new Mempool(
    { ...DEFAULT_MEMPOOL_LIMITS, maxTxs: 1_000_000, maxBytes: 1 << 30 },
    {
      chainId: CHAIN,
      params: genesis.params,
      verifier,
      account: (address) => getAccount(state, address),
      includedAt: async (hash) => (await db.getTx(hash, false))?.height,
    },
  );
  const app = new ChainApp({ db, state, genesis, mempool, verifier, info, validatorSets, index, logger: pino({ level: "silent" }) });
  return { app, mempool, verifier, db };
}

/** The least of several runs: load from other processes on a shared machine only ever adds to a figure. */
function least(xs: number[]): number {
  return Math.min(...xs);
}

async function main(): Promise<void> {
  const senders = Array.from({ length: SENDERS }, () => new TestAccount());
  const validatorSecret = generateSecretKey();
  const validatorPub = publicKeyOf(validatorSecret);
  const validatorKey = privateKeyObject(validatorSecret);
  const validatorAddress = addressFromPublicKey(validatorPub);
  const operator = new TestAccount();
  const selfStake = 1000n * 10n ** 18n;
  const genesis: Genesis = {
    chainId: CHAIN,
    genesisTimeMs: GENESIS_TIME,
    // Blocks of --txs transfers: the count and work limits raised to hold them (a transfer is ~200-300 work).
    params: {
      ...DEFAULT_PARAMS,
      maxBlockTxs: Math.max(DEFAULT_PARAMS.maxBlockTxs, TXS),
      maxBlockWork: Math.max(DEFAULT_PARAMS.maxBlockWork, TXS * VERIFY_WORK * 10),
    },
    validators: [{ address: validatorAddress, pubkey: validatorPub, operator: operator.address, moniker: "v", selfStake }],
    accounts: [
      { address: operator.address, balance: selfStake * 2n },
      ...senders.map((s) => ({ address: s.address, balance: 10n ** 30n })),
    ],
  };
  const tmp = tempDir("opl-node-cpu-");
  // One proposer and one peer per index setting; each block's txs go through every pair (the same bytes, the
  // same state), one pair after the other, so the index's share is measured on identical work.
  const modes = args.index === "both" ? [true, false] : [args.index !== "off"];
  const pairs: Pair[] = [];
  for (const index of modes) {
    const name = index ? "on" : "off";
    pairs.push({
      index,
      proposer: await openNode(join(tmp.dir, `${name}-a`), genesis, index),
      peer: await openNode(join(tmp.dir, `${name}-b`), genesis, index),
      height: 0,
    });
  }

  /** Signed transfers, round-robin over the senders; to another sender, or each to a new address. */
  function makeTxs(n: number, toNew: boolean): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const from = senders[i % SENDERS];
      const to = toNew ? addressFromPublicKey(generateSecretKey()) : senders[(i + 1) % SENDERS].address;
      out.push(from.transfer(CHAIN, to, 1n, FEE).bytes);
    }
    return out;
  }

  /** One verify, the yardstick (reference-verify.ts: OpenSSL, key cached), over real tx digests: microseconds. */
  function verifyCost(txs: Uint8Array[]): number {
    const items = txs.map((b) => decodeTx(b)).map((t) => ({
      digest: txSignBytes(CHAIN, t.bodyBytes),
      sig: t.signature,
      key: t.body.senderPubkey,
    }));
    for (const it of items.slice(0, 200)) referenceVerify(it.digest, it.sig, it.key); // warm up
    // The least of several rounds: other processes on a shared machine only ever add to it.
    let best = Infinity;
    for (let round = 0; round < 5; round++) {
      const before = process.cpuUsage();
      for (const it of items) if (!referenceVerify(it.digest, it.sig, it.key)) throw new Error("bad signature");
      const d = process.cpuUsage(before);
      best = Math.min(best, (d.user + d.system) / items.length);
    }
    return best;
  }

  /** CPU microseconds (every thread) per signature verified through a VerifyPool, asked one per loop turn. */
  async function poolCost(txs: Uint8Array[]): Promise<{ us: number; messages: number; records: number }> {
    const items = txs.map((b) => decodeTx(b)).map((t) => ({
      digest: txSignBytes(CHAIN, t.bodyBytes),
      sig: t.signature,
      key: t.body.senderPubkey,
    }));
    const pool = new VerifyPool();
    const verifyAll = async () => {
      const checks: Promise<boolean>[] = [];
      for (const it of items) {
        checks.push(pool.verify(it.digest, it.sig, it.key));
        await new Promise((resolve) => setImmediate(resolve));
      }
      if ((await Promise.all(checks)).includes(false)) throw new Error("bad signature");
    };
    await verifyAll(); // warm-up: workers started, keys parsed
    const before = { ...pool.stats };
    let best = Infinity;
    for (let round = 0; round < 3; round++) best = Math.min(best, (await cpuOf(verifyAll)) / items.length);
    const messages = Math.round((pool.stats.messages - before.messages) / 3);
    const records = Math.round((pool.stats.records - before.records) / 3);
    await pool.close();
    return { us: best, messages, records };
  }

  function commitFor(block: Block): Commit {
    const hash = blockHash(block.header);
    const timeMs = block.header.timeMs + 1;
    const height = block.header.height;
    const vote = { type: PRECOMMIT, height, round: 0, blockHash: hash, timeMs, validatorAddress } as const;
    const signature = signFast(voteSignBytes(CHAIN, vote), validatorKey);
    return { height, round: 0, blockHash: hash, signatures: [{ validatorAddress, timeMs, signature }] };
  }

  /** One block of `txs` through every stage on both nodes of a pair: CPU microseconds per tx, per stage. */
  async function runBlock(pair: Pair, txs: Uint8Array[]): Promise<Record<string, number>> {
    const { proposer, peer } = pair;
    // Signatures checked before timing: the stages measure everything but the verify.
    await proposer.verifier.verifyAll(txs.map((b) => decodeTx(b)));
    await peer.verifier.verifyAll(txs.map((b) => decodeTx(b)));
    const height = ++pair.height;
    const lastCommit = proposer.app.info().lastCommit;
    const cpu: Record<string, number> = {};
    const admit = (node: Node) => async () => {
      const BATCH = 250; // as an RPC batch arrives: its calls checked concurrently
      for (let i = 0; i < txs.length; i += BATCH) {
        await Promise.all(txs.slice(i, i + BATCH).map((b) => node.mempool.add(b)));
      }
    };
    cpu.admit = await cpuOf(admit(proposer));
    // The peer has the txs too (from the relay), as it would: its check finds them decoded in its mempool.
    cpu.admitPeer = await cpuOf(admit(peer));
    let block: Block | undefined;
    cpu.build = await cpuOf(async () => {
      block = await proposer.app.propose({
        height,
        timeMs: GENESIS_TIME + height * 1000,
        proposer: validatorAddress,
        lastCommit,
        evidence: [],
      });
    });
    const built = block as Block;
    if (built.txs.length !== txs.length) throw new Error(`block ${height} holds ${built.txs.length} of ${txs.length} txs`);
    const bytes = encodeBlock(built);
    let copy: Block | undefined;
    cpu.check = await cpuOf(async () => {
      copy = decodeBlock(bytes);
      const v = await peer.app.validate(copy);
      if (!v.valid) throw new Error(`peer refused block ${height}: ${v.reason}`);
    });
    const commit = commitFor(built);
    cpu.commitProposer = await cpuOf(() => proposer.app.commit(built, commit));
    cpu.commitPeer = await cpuOf(() => peer.app.commit(copy as Block, commit));
    for (const k of Object.keys(cpu)) cpu[k] /= txs.length;
    return cpu;
  }

  const verifyUs = verifyCost(makeTxs(2000, true).slice(0, 2000));
  const pool = await poolCost(makeTxs(2000, true));
  const v = (us: number) => (us / verifyUs).toFixed(3);
  console.log(`one ed25519 verify: ${verifyUs.toFixed(1)} us CPU (node:crypto, one core, this run)`);
  console.log(
    `one verify through the worker pool, one signature asked per loop turn: ${v(pool.us)} verifies ` +
    `(every thread's CPU; ${pool.messages} messages for ${pool.records} signatures)`,
  );
  const closeAll = async () => {
    for (const p of pairs) await Promise.all([p.proposer.db.close(), p.peer.db.close()]);
    tmp.cleanup();
  };
  if (args.poolOnly) {
    await closeAll();
    return;
  }
  // Undo the nonces the verify sample used: those txs are never submitted.
  for (const s of senders) s.nonce = 0;
  const warmUp = makeTxs(Math.min(TXS, 2000), false);
  for (const p of pairs) await runBlock(p, warmUp); // warm-up (JIT), not reported

  if (profiler !== undefined) {
    profiler.connect();
    await profiler.post("Profiler.enable");
    profiling = true;
  }
  const rows: [string, Record<string, number>][] = [];
  for (const [name, toNew] of [["existing accounts", false], ["new accounts", true]] as const) {
    const runs: Record<string, number>[][] = pairs.map(() => []);
    for (let r = 0; r < REPEAT; r++) {
      const txs = makeTxs(TXS, toNew);
      // Each pair goes first every other block: the garbage of signing the block's txs lands in whichever
      // stage runs first, and must not be charged to one index setting only.
      const order = r % 2 === 0 ? [...pairs.keys()] : [...pairs.keys()].reverse();
      for (const i of order) runs[i].push(await runBlock(pairs[i], txs));
    }
    for (const [i, p] of pairs.entries()) {
      const best: Record<string, number> = {};
      for (const k of Object.keys(runs[i][0])) best[k] = least(runs[i].map((x) => x[k]));
      rows.push([`${name}, index ${p.index ? "on" : "off"}`, best]);
    }
  }
  await closeAll();

  console.log(`${TXS} transfers per block from ${SENDERS} senders, least of ${REPEAT} blocks per stage; CPU per tx in verifies:`);
  const head = ["scenario".padEnd(30), "admit(A)", "build(A)", "commit(A)", "A total", "admit(B)", "check(B)", "commit(B)", "B total", "B+verify"];
  console.log(head.join("\t"));
  for (const [name, c] of rows) {
    // Each node's main-thread cost per tx: admit it (from a client or the relay), build or check the block,
    // commit it. The peer's plus one verify is the whole node's cost per tx (each tx is verified once).
    const a = c.admit + c.build + c.commitProposer;
    const b = c.admitPeer + c.check + c.commitPeer;
    const cells = [c.admit, c.build, c.commitProposer, a, c.admitPeer, c.check, c.commitPeer, b, b + verifyUs];
    console.log([name.padEnd(30), ...cells.map(v)].join("\t"));
  }
  if (pairs.length === 2) {
    // The index's share of each node's main-thread cost per tx (outside the verify): (on - off) / on.
    for (let r = 0; r < rows.length; r += 2) {
      const [on, off] = [rows[r][1], rows[r + 1][1]];
      const a = (c: Record<string, number>) => c.admit + c.build + c.commitProposer;
      const b = (c: Record<string, number>) => c.admitPeer + c.check + c.commitPeer;
      const share = (x: number, y: number) => `${(((x - y) / x) * 100).toFixed(1)}%`;
      console.log(
        `${rows[r][0].split(",")[0]}: the index's share of A total ${share(a(on), a(off))}, of B total ` +
        `${share(b(on), b(off))}, of B+verify ${share(b(on) + verifyUs, b(off) + verifyUs)}`,
      );
    }
  }
}

await main();

import { type RoundFigures, roundFigures } from "./chain-follower.ts";
import type { ChainFollower } from "./chain-follower.ts";
import type { LoadResult } from "./load.ts";
import type { ThreadSplit } from "./thread-groups.ts";
import type { VerifyRate } from "./verify-rate.ts";

/**
 * The figures of one load run, each throughput and CPU figure also as a ratio to one core's verify rate
 * measured in the same run (on a shared machine only such ratios compare from one run to the next).
 */

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round2 = (n: number) => Number(n.toFixed(2));
const round3 = (n: number) => Number(n.toFixed(3));
const p50p99 = (sorted: readonly number[]) => ({
  p50: Math.round(percentile(sorted, 50)),
  p99: Math.round(percentile(sorted, 99)),
});

export interface RunFigures extends RoundFigures {
  committedTxs: number;
  seconds: number;
  committedTxPerSec: number;
  committedPerVerifyRate: number;
  submitTxPerSec: number;
  latencyMsP50: number;
  latencyMsP99: number;
  /** p50 and p99 of each part of the latency (LoadResult.latencyPartsMs). */
  latencyPartsMs: Record<"admission" | "toBlock" | "blockToSeen", { p50: number; p99: number }>;
  submitAnswerMsP50: number;
  submitAnswerMsP99: number;
  refusals: number;
  refusalsByReason: Record<string, number>;
  blocks: number;
  maxBlockTxs: number;
  blockIntervalMsMean: number;
  blockIntervalMsMax: number;
  nodeCpuSeconds: number[];
  cpuPerTxInVerifies: number[];
  cpuPerTxInVerifiesMean: number;
  /**
   * cpuPerTxInVerifies split by thread group (test/bench/thread-groups.ts), per node and the nodes' mean: how
   * much of a tx's CPU is the verify itself (its worker thread, under the run's contention) and how much the rest.
   */
  cpuPerTxByThread: ThreadSplit[];
  cpuPerTxByThreadMean: ThreadSplit;
  /**
   * One verify as each node's workers did them during the run: their threads' CPU seconds per signature sent
   * (opl_verify_signatures_total), in microseconds. The yardstick above is the fastest window before or after
   * the load; on a shared host whose speed drifts by a third within a minute, this one is taken under the
   * run's own conditions (its host speed, its contention). It is a little generous to the node: it includes the
   * workers' own work per signature (reading the batch, hashing the sign bytes, answering).
   */
  verifyUsInRun: number[];
  /**
   * Signatures each node's workers were sent over the load: one per tx it verified (admitted from a client or a
   * peer, or met first in a proposal); votes are verified on the main thread, not there. NaN if unread.
   */
  verifySignatures: number[];
  /** Signatures per message to the workers, per node: how well the pool gathered them. NaN if unread. */
  signaturesPerVerifyMessage: number[];
  /** cpuPerTxInVerifies against verifyUsInRun: CPU per tx in the run's own verifies, per node, and their mean. */
  cpuPerTxInRunVerifies: number[];
  cpuPerTxInRunVerifiesMean: number;
  /** committedTxPerSec against one core verifying at the nodes' mean verifyUsInRun. */
  committedPerInRunVerifyRate: number;
  /** cpuPerTxInVerifiesMean and committedPerVerifyRate against the node's own verify (libsodium's) instead. */
  cpuPerTxInNodeVerifiesMean: number;
  committedPerNodeVerifyRate: number;
  clientCpuSeconds: number;
  /** Whether node 0 announced every block so far (false: the follower fell back to asking node_getStatus). */
  followerSubscribed: boolean;
}

/** Per-thread-group CPU seconds as verifies per committed tx, each part rounded. */
function perTxInVerifies(s: ThreadSplit, txs: number, verifyUs: number): ThreadSplit {
  const per = (seconds: number) => round3(seconds / Math.max(1, txs) / (verifyUs / 1e6));
  return { verify: per(s.verify), main: per(s.main), v8: per(s.v8), io: per(s.io), other: per(s.other) };
}

/** The mean of the finite values (NaN if none is). */
function finiteMean(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? NaN : finite.reduce((a, b) => a + b, 0) / finite.length;
}

/** The mean of per-node splits, part by part. */
function meanSplit(splits: readonly ThreadSplit[]): ThreadSplit {
  const n = Math.max(1, splits.length);
  const mean = (k: keyof ThreadSplit) => round3(splits.reduce((sum, s) => sum + s[k], 0) / n);
  return { verify: mean("verify"), main: mean("main"), v8: mean("v8"), io: mean("io"), other: mean("other") };
}

export function runFigures(load: LoadResult, verify: VerifyRate, follower: ChainFollower): RunFigures {
  const committedTxPerSec = load.committed / load.seconds;
  const nonEmpty = load.blocks.filter((b) => b.txs.length > 0);
  const intervals = load.blocks.slice(1).map((b, i) => b.timeMs - load.blocks[i].timeMs);
  const first = load.blocks[0]?.height ?? 1;
  const last = load.blocks.at(-1)?.height ?? 0;
  // CPU seconds per committed tx, in units of one verify's time.
  const cpuPerTx = load.nodeCpuSeconds.map((s) => s / Math.max(1, load.committed) / (verify.verifyUs / 1e6));
  const byThread = load.nodeThreadSeconds.map((s) => perTxInVerifies(s, load.committed, verify.verifyUs));
  const signatures = load.nodeVerifySignatures;
  // NaN (null in the JSON) for a node with no count (its /metrics unread), no signatures or no verify-thread CPU
  // read (not Linux): no figure rather than a 0 that reads like one. Means are over the nodes that have one.
  const verifyUsInRun = load.nodeThreadSeconds.map((s, i) =>
    signatures[i] > 0 && s.verify > 0 ? (s.verify * 1e6) / signatures[i] : NaN);
  const cpuPerTxInRun = load.nodeCpuSeconds.map((s, i) => (s * 1e6) / Math.max(1, load.committed) / verifyUsInRun[i]);
  const meanVerifyUsInRun = finiteMean(verifyUsInRun);
  return {
    committedTxs: load.committed,
    seconds: round2(load.seconds),
    committedTxPerSec: Math.round(committedTxPerSec),
    committedPerVerifyRate: round3(committedTxPerSec / verify.verifyPerSecOneCore),
    submitTxPerSec: Math.round(load.accepted / Math.max(load.submitSeconds, 1e-3)),
    latencyMsP50: Math.round(percentile(load.latenciesMs, 50)),
    latencyMsP99: Math.round(percentile(load.latenciesMs, 99)),
    latencyPartsMs: {
      admission: p50p99(load.latencyPartsMs.admission),
      toBlock: p50p99(load.latencyPartsMs.toBlock),
      blockToSeen: p50p99(load.latencyPartsMs.blockToSeen),
    },
    submitAnswerMsP50: round2(percentile(load.submitAnswerMs, 50)),
    submitAnswerMsP99: round2(percentile(load.submitAnswerMs, 99)),
    refusals: Object.values(load.refusalsByReason).reduce((a, b) => a + b, 0),
    refusalsByReason: load.refusalsByReason,
    blocks: nonEmpty.length,
    maxBlockTxs: Math.max(0, ...nonEmpty.map((b) => b.txs.length)),
    blockIntervalMsMean: Math.round(intervals.reduce((a, b) => a + b, 0) / Math.max(1, intervals.length)),
    blockIntervalMsMax: Math.max(0, ...intervals),
    ...roundFigures(follower.roundsOf(first, last)),
    nodeCpuSeconds: load.nodeCpuSeconds.map(round2),
    cpuPerTxInVerifies: cpuPerTx.map(round3),
    cpuPerTxInVerifiesMean: round3(cpuPerTx.reduce((a, b) => a + b, 0) / Math.max(1, cpuPerTx.length)),
    cpuPerTxByThread: byThread,
    cpuPerTxByThreadMean: meanSplit(byThread),
    verifyUsInRun: verifyUsInRun.map(round2),
    verifySignatures: signatures,
    signaturesPerVerifyMessage: signatures.map((n, i) => round2(n / load.nodeVerifyMessages[i])),
    cpuPerTxInRunVerifies: cpuPerTxInRun.map(round3),
    cpuPerTxInRunVerifiesMean: round3(finiteMean(cpuPerTxInRun)),
    committedPerInRunVerifyRate: round3((committedTxPerSec * meanVerifyUsInRun) / 1e6),
    cpuPerTxInNodeVerifiesMean: round3(finiteMean(cpuPerTx) * (verify.verifyUs / verify.nodeVerifyUs)),
    committedPerNodeVerifyRate: round3((committedTxPerSec * verify.nodeVerifyUs) / 1e6),
    clientCpuSeconds: round2(load.clientCpuSeconds),
    followerSubscribed: follower.subscribedThroughout,
  };
}

import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { ADDRESS_LENGTH } from "../../crypto/address.ts";
import { toBase64, toHex } from "../../crypto/bytes.ts";
import { RENDER_EVERY_MS } from "../../node/metrics.ts";
import { RpcClient } from "../../rpc/client.ts";
import type { TestAccount } from "../helpers/accounts.ts";
import { parsePrometheusText, sampleValue } from "../helpers/prometheus-text.ts";
import { retryWaitMs, submitOutcome, TxRefusedError } from "./backpressure.ts";
import { cpuSeconds } from "./bench-net.ts";
import type { ChainFollower, SeenBlock } from "./chain-follower.ts";
import { type ThreadSplit, nodeThreadSeconds, threadTicks } from "./thread-groups.ts";
import { nextAttempt } from "./wallet-retry.ts";

/** Pre-signed transfers and the load clients that send them, paced or not, while the chain is followed. */

export interface SignedTx {
  b64: string;
  hash: string;
  /** Index of its sender in the run's senders. */
  sender: number;
}

export interface Workload {
  all: SignedTx[];
  /** What each client sends, in order. */
  byClient: SignedTx[][];
}

/** What each benchmark transfer sends (the smallest amount: a transfer must move something). */
export const TRANSFER_AMOUNT = 1n;

/** A fresh address nobody has used: a transfer to it creates an account. */
export function freshAddress(): Uint8Array {
  return new Uint8Array(randomBytes(ADDRESS_LENGTH));
}

/**
 * Signs `count` transfers, nonce-major so that concurrent batches stay close to each sender's nonce. Each
 * sender is one wallet: its txs go out in nonce order from one client (account a from client a mod C). Two
 * clients sharing a sender would deliver its nonces out of order whenever one is slower, which no wallet does.
 */
export function signTransfers(p: {
  chainId: string;
  senders: readonly TestAccount[];
  count: number;
  concurrency: number;
  fee: bigint;
  recipient: () => Uint8Array;
}): Workload {
  const all: SignedTx[] = [];
  const byClient: SignedTx[][] = Array.from({ length: p.concurrency }, () => []);
  for (let i = 0; i < p.count; i++) {
    const a = i % p.senders.length;
    const t = p.senders[a].transfer(p.chainId, p.recipient(), TRANSFER_AMOUNT, p.fee);
    const tx = { b64: toBase64(t.bytes), hash: toHex(t.hash), sender: a };
    all.push(tx);
    byClient[a % p.concurrency].push(tx);
  }
  return { all, byClient };
}

export interface LoadResult {
  txs: number;
  committed: number;
  /** Every tx committed before the deadline. */
  complete: boolean;
  /** From the first submit to the last commit seen (or to the deadline when incomplete). */
  seconds: number;
  /** Transactions the nodes accepted (all of them unless the deadline cut the run short). */
  accepted: number;
  /** From the first submit to the last tx accepted. */
  submitSeconds: number;
  /** performance.now() when the load started, and when each committed tx of it was seen committed. */
  startedAt: number;
  commitTimes: number[];
  /** Submit-to-commit latency of each committed tx, sorted. */
  latenciesMs: number[];
  /**
   * The same latency in three parts, each sorted: `admission`, from the first attempt to the answer that
   * accepted the tx (the whole batch's answer, refusals and retries included); `toBlock`, from that answer to
   * the time in the header of the block that holds it (when its proposer built it: negative when the block
   * was built before the batch's answer came back); `blockToSeen`, from that header time to the block being
   * seen committed (the height's consensus, and its commit on the node followed, which announces it).
   */
  latencyPartsMs: { admission: number[]; toBlock: number[]; blockToSeen: number[] };
  /** How long each tx_submit batch took to be answered, sorted. */
  submitAnswerMs: number[];
  refusalsByReason: Record<string, number>;
  /** The blocks committed while the load ran, in height order. */
  blocks: SeenBlock[];
  nodeCpuSeconds: number[];
  /** Each node's CPU seconds by thread group over the same window (test/bench/thread-groups.ts). */
  nodeThreadSeconds: ThreadSplit[];
  /** Signatures each node's verification workers were sent over the same window (opl_verify_signatures_total). */
  nodeVerifySignatures: number[];
  /** The messages they went in (opl_verify_messages_total). */
  nodeVerifyMessages: number[];
  clientCpuSeconds: number;
  /** The txs not seen committed (unsent, refused, or still pending), per client in order: to finish them. */
  pending: Workload;
}

/**
 * Sends a workload from its clients (client c through node c mod N), paced at `rate` tx/s or unpaced when 0,
 * retrying back-pressure refusals, and follows the chain until every tx is committed or the deadline passes.
 */
export async function runLoad(p: {
  urls: readonly string[];
  pids: readonly number[];
  follower: ChainFollower;
  work: Workload;
  rate: number;
  batch: number;
  deadline: number;
  /** Send every refused tx again at once, as the client did before it held a refused sender's later nonces. */
  resendAll?: boolean;
}): Promise<LoadResult> {
  const total = p.work.all.length;
  const clientCount = p.work.byClient.length;
  const submittedAt = new Map<string, number>();
  const acceptedAt = new Map<string, number>();
  const committedAt = new Map<string, number>();
  /** performance.now() of each committed tx's block's header time (its proposer's clock: this machine's). */
  const blockBuiltAt = new Map<string, number>();
  const wanted = new Set(p.work.all.map((t) => t.hash));
  const submitAnswerMs: number[] = [];
  const refusalsByReason: Record<string, number> = {};
  const blocks: SeenBlock[] = [];
  let stopped = false;

  const verifyStart = await scrapeVerifyCounts(p.urls);
  const start = performance.now();
  const nodeCpuStart = p.pids.map(cpuSeconds);
  const nodeThreadsStart = p.pids.map(threadTicks);
  markProbeWindow(p.pids);
  const clientCpuStart = process.cpuUsage();

  // Commit watcher: follows new blocks and stamps each tx with the time its block was seen.
  const watcher = (async () => {
    while (!stopped && committedAt.size < total && Date.now() < p.deadline) {
      for (const block of await p.follower.poll()) {
        blocks.push(block);
        for (const hash of block.txs) {
          if (!wanted.has(hash)) continue;
          committedAt.set(hash, block.seenAt);
          blockBuiltAt.set(hash, block.timeMs - performance.timeOrigin);
        }
      }
      if (committedAt.size < total) await new Promise((r) => setTimeout(r, 20));
    }
  })();
  watcher.catch(() => {}); // awaited below; if the clients fail first, its own failure is no news

  let lastAccepted = start;
  let accepted = 0;
  const clients = p.work.byClient.map(async (list, c) => {
    const client = new RpcClient(p.urls[c % p.urls.length]);
    for (let i = 0, b = 0; i < list.length; i += p.batch, b++) {
      if (p.rate > 0) {
        // Paced: each client offers its share of the rate, batch b at its time and not before. Clients are
        // staggered over the period (client c starts c/C of it late): independent wallets are not in step,
        // and clients firing together would offer the whole second's load in one burst.
        const period = (p.batch * 1000 * clientCount) / p.rate;
        const wait = start + (b + c / clientCount) * period - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(0, p.deadline - Date.now()))));
      }
      let todo = list.slice(i, i + p.batch);
      let fullRefusals = 0; // whole batches refused in a row: the back-off grows with them
      let refusedSenders = new Set<number>(); // their later nonces wait (wallet-retry.ts)
      while (todo.length > 0) {
        if (stopped || Date.now() > p.deadline) return;
        const send = p.resendAll === true ? todo : nextAttempt(todo, refusedSenders);
        const sentAt = performance.now();
        // Latency counts from the first attempt: a tx refused for back-pressure and sent again waited too.
        for (const t of send) if (!submittedAt.has(t.hash)) submittedAt.set(t.hash, sentAt);
        const replies = await client.batch(send.map((t) => ({ method: "tx_submit", params: { tx: t.b64 } })));
        const answeredAt = performance.now();
        submitAnswerMs.push(answeredAt - sentAt);
        const taken = new Set<string>();
        refusedSenders = new Set();
        replies.forEach((reply, j) => {
          const outcome = submitOutcome(reply);
          if (outcome.kind === "refused") throw new TxRefusedError("load", outcome.message);
          if (outcome.kind === "retry") {
            refusedSenders.add(send[j].sender);
            refusalsByReason[outcome.reason] = (refusalsByReason[outcome.reason] ?? 0) + 1;
          } else {
            taken.add(send[j].hash);
            if (!acceptedAt.has(send[j].hash)) acceptedAt.set(send[j].hash, answeredAt);
          }
        });
        accepted += taken.size;
        fullRefusals = taken.size === 0 ? fullRefusals + 1 : 0;
        todo = todo.filter((t) => !taken.has(t.hash));
        if (refusedSenders.size > 0) await new Promise((r) => setTimeout(r, retryWaitMs(fullRefusals)));
      }
      lastAccepted = Math.max(lastAccepted, performance.now());
    }
  });
  try {
    await Promise.all(clients);
    await watcher;
  } finally {
    stopped = true;
  }

  const complete = committedAt.size === total;
  let end = complete ? 0 : performance.now();
  if (complete) for (const at of committedAt.values()) end = Math.max(end, at);
  const clientCpu = process.cpuUsage(clientCpuStart);
  // Threads read inside the process totals' window (after them at the start, before them here): the parts come
  // to at most the whole but for the kernel's rounding per thread (nodeThreadSeconds scales that away).
  const nodeThreadsEnd = p.pids.map(threadTicks);
  const nodeCpuSeconds = p.pids.map((pid, i) => cpuSeconds(pid) - nodeCpuStart[i]);
  markProbeWindow(p.pids);
  const verifyEnd = await scrapeVerifyCounts(p.urls);
  const latenciesMs = [...committedAt].map(([hash, at]) => at - (submittedAt.get(hash) as number));
  const parts = { admission: [] as number[], toBlock: [] as number[], blockToSeen: [] as number[] };
  for (const [hash, seen] of committedAt) {
    const sent = submittedAt.get(hash) as number;
    const built = blockBuiltAt.get(hash) as number;
    const accepted = acceptedAt.get(hash) ?? built; // committed before an answer said so (a resend's ALREADY_KNOWN)
    parts.admission.push(accepted - sent);
    parts.toBlock.push(built - accepted);
    parts.blockToSeen.push(seen - built);
  }
  dumpTxTimes(start, committedAt, submittedAt, acceptedAt, blockBuiltAt);
  for (const list of Object.values(parts)) list.sort((a, b) => a - b);
  return {
    txs: total,
    committed: committedAt.size,
    complete,
    seconds: (end - start) / 1000,
    accepted,
    submitSeconds: (lastAccepted - start) / 1000,
    startedAt: start,
    commitTimes: [...committedAt.values()],
    latenciesMs: latenciesMs.sort((a, b) => a - b),
    latencyPartsMs: parts,
    submitAnswerMs: submitAnswerMs.sort((a, b) => a - b),
    refusalsByReason,
    blocks,
    nodeCpuSeconds,
    nodeThreadSeconds: nodeThreadsEnd.map((threads, i) =>
      nodeThreadSeconds(nodeThreadsStart[i], threads, nodeCpuSeconds[i])),
    nodeVerifySignatures: verifyEnd.map((n, i) => n.signatures - verifyStart[i].signatures),
    nodeVerifyMessages: verifyEnd.map((n, i) => n.messages - verifyStart[i].messages),
    clientCpuSeconds: (clientCpu.user + clientCpu.system) / 1e6,
    pending: {
      all: p.work.all.filter((t) => !committedAt.has(t.hash)),
      byClient: p.work.byClient.map((list) => list.filter((t) => !committedAt.has(t.hash))),
    },
  };
}

/**
 * Tells a node's wake-up probe (wakeup-probe.ts) that the load starts, and later that it ends: the same window
 * as nodeCpuSeconds. Only while OPL_WAKEUP_PROBE_DIR is set: without the probe a node would die of SIGUSR2.
 */
function markProbeWindow(pids: readonly number[]): void {
  if (process.env.OPL_WAKEUP_PROBE_DIR === undefined) return;
  for (const pid of pids) process.kill(pid, "SIGUSR2");
}

/**
 * With BENCH_TX_TIMES=FILE, one CSV line per committed tx: ms from the load's start to its first attempt, its
 * accepting answer, its block's header time and the block seen committed. Where in the run the tail sits.
 */
function dumpTxTimes(
  start: number,
  committedAt: ReadonlyMap<string, number>,
  submittedAt: ReadonlyMap<string, number>,
  acceptedAt: ReadonlyMap<string, number>,
  blockBuiltAt: ReadonlyMap<string, number>,
): void {
  const file = process.env.BENCH_TX_TIMES;
  if (file === undefined) return;
  const lines = ["sent,accepted,built,seen"];
  for (const [hash, seen] of committedAt) {
    const at = (t: number | undefined) => (t === undefined ? "" : (t - start).toFixed(0));
    lines.push([at(submittedAt.get(hash)), at(acceptedAt.get(hash)), at(blockBuiltAt.get(hash)), at(seen)].join(","));
  }
  writeFileSync(file, lines.join("\n") + "\n");
}

/** When the bench last scraped the nodes' /metrics (performance.now()). */
let lastScrapeAt = -Infinity;

/**
 * Each node's opl_verify_signatures_total and opl_verify_messages_total (GET /metrics on its RPC port): with its
 * verify threads' CPU over the same window, what one verify cost on this machine during the run (figures.ts). A scrape within
 * RENDER_EVERY_MS of the last gets that rendering again, so this first waits out the rest of it (a short run;
 * a saturation step right after the last). NaN for a node whose /metrics could not be read: its in-run figures
 * are then null, and the run's others stand.
 */
async function scrapeVerifyCounts(urls: readonly string[]): Promise<{ signatures: number; messages: number }[]> {
  await sleep(Math.max(0, lastScrapeAt + RENDER_EVERY_MS + 50 - performance.now()));
  const counts = await Promise.all(urls.map(async (url) => {
    try {
      const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const metrics = parsePrometheusText(await res.text());
      return {
        signatures: sampleValue(metrics, "opl_verify_signatures_total"),
        messages: sampleValue(metrics, "opl_verify_messages_total"),
      };
    } catch (err) {
      console.error(`bench: ${url}/metrics gave no opl_verify_signatures_total (${String(err)}): no in-run verify for it`);
      return { signatures: Number.NaN, messages: Number.NaN };
    }
  }));
  lastScrapeAt = performance.now();
  return counts;
}

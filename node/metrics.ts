import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CallObserver } from "../rpc/dispatch.ts";
import type { CommittedEvent } from "./chain-app.ts";
import type { Fsyncer } from "./durable-file.ts";
import { RpcCallMetrics } from "./rpc-call-metrics.ts";

/**
 * The node's Prometheus metrics (GET /metrics): one registry per node (tests run several in one process),
 * with typed handles for the places that measure. What is a reading of the node's state (height, mempool,
 * peers, sync) is read when scraped, so it costs nothing between scrapes; what happens (a block, an fsync, an
 * RPC call) is counted where it happens, with no label that a transaction or a stranger could multiply: the
 * RPC method label takes only the node's own method names, and every other name counts as "other".
 */

/** Readings taken at each scrape. */
export interface MetricSources {
  height(): number;
  /** The latest block's header time (ms since the epoch). */
  lastBlockTimeMs(): number;
  /** The consensus engine's current round. */
  round(): number;
  mempool(): { txs: number; bytes: number };
  /** Open connections and who dialled (libp2p's "inbound" or "outbound"). */
  connections(): { peer: string; direction: string }[];
  catchingUp(): boolean;
  /** The best height peers report: block sync's target. */
  bestPeerHeight(): number;
  /** Signatures waiting for the verification workers or being verified. */
  verifyPending(): number;
  /** Signatures sent to the verification workers since the node started. */
  verifySignatures(): number;
  /** Messages they went in (each costs a postMessage here and a wake-up there, whatever it holds). */
  verifyMessages(): number;
}

/**
 * prom-client's process and Node.js metrics (memory, CPU, GC, event-loop lag): one set per process, made at
 * the first node's start. They describe the process, not a node, and each set runs an event-loop monitor and a
 * GC observer that nothing stops: tests that start many nodes in one process must not pile them up.
 */
let processMetrics: Registry | undefined;

function processRegistry(): Registry {
  if (processMetrics === undefined) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/** The label value of calls to a method the node does not have (bounded cardinality). */
export const UNKNOWN_METHOD = "other";

/**
 * Scrapes within this long of the last rendering get that one. A rendering takes ~20-30 ed25519 verifies' time
 * with every RPC method's series (test/bench/metrics-cost.ts); Prometheus scrapes every 15 s by default.
 */
export const RENDER_EVERY_MS = 1000;

/** Peers' directions, each always exported (0 when none). */
const DIRECTIONS = ["inbound", "outbound"] as const;

/** Seconds: from a fast disk's fsync (sub-millisecond) to a stalled one. */
const DISK_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Seconds between block times: a test chain's 0.1 s interval up to a chain that stalled a minute. */
const INTERVAL_BUCKETS = [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 20, 30, 60];
/** Rounds a height took: 1 is the normal case. */
const ROUND_BUCKETS = [1, 2, 3, 4, 6, 8, 16];
/** Transactions per block, up to the cap on maxBlockTxs (20,000). */
const TXS_BUCKETS = [0, 1, 10, 50, 100, 500, 1000, 2000, 5000, 10_000, 20_000];
/** Seconds an RPC call took: a status read to a proof over a big tree. */
const RPC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

export class NodeMetrics implements CallObserver {
  /** This node's own metrics (the process's are apart: processRegistry). */
  readonly registry = new Registry();
  /**
   * Reads the open WebSocket subscriptions at scrape time: the node points it at its WebSocket gateway once
   * that exists (it is made after the metrics, which the gateway's RPC calls report to).
   */
  subscriptionCount: () => number = () => 0;
  private readonly blockInterval: Histogram;
  private readonly heightRounds: Histogram;
  private readonly blockTxs: Histogram;
  private readonly committedTxs: Counter;
  private readonly walFsync: Histogram;
  private readonly commitBatch: Histogram;
  /** opl_rpc_requests_total and opl_rpc_request_duration_seconds (every call counts: no allocation per call). */
  private readonly rpcCalls: RpcCallMetrics;
  private readonly methods: ReadonlySet<string>;
  private rendering: { at: number; text: Promise<{ contentType: string; body: string }> } | undefined;
  /** The last block seen committed, for the interval to the next. */
  private last: { height: number; timeMs: number };

  private readonly now: () => number;

  /** `now` (ms, monotonic; default performance.now) paces the renderings: tests pass their own clock. */
  constructor(opts: { rpcMethods: readonly string[]; sources: MetricSources; now?: () => number }) {
    const s = opts.sources;
    this.now = opts.now ?? (() => performance.now());
    const registers = [this.registry];
    this.methods = new Set(opts.rpcMethods);
    this.last = { height: s.height(), timeMs: s.lastBlockTimeMs() };
    processRegistry();

    const reading = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers, collect() { this.set(read()); } });
    reading("opl_block_height", "Height of the latest committed block.", () => s.height());
    reading("opl_block_time_seconds", "Header time of the latest committed block (unix seconds).", () => s.lastBlockTimeMs() / 1000);
    reading("opl_consensus_round", "Round the consensus engine is in at the current height.", () => s.round());
    reading("opl_mempool_txs", "Transactions waiting in the mempool.", () => s.mempool().txs);
    reading("opl_mempool_bytes", "Bytes of the transactions waiting in the mempool.", () => s.mempool().bytes);
    reading("opl_block_sync_target_height", "Best height peers report: block sync's target (opl_block_height is how far this node got).", () => s.bestPeerHeight());
    reading("opl_block_sync_catching_up", "1 while block sync is catching up with peers, else 0.", () => (s.catchingUp() ? 1 : 0));
    reading("opl_verify_pool_pending_signatures", "Signatures queued for or being checked by the verification workers.", () => s.verifyPending());
    // Read at scrape time too (the pool counts them): with the workers' CPU, what one verify costs on this host now.
    new Counter({
      name: "opl_verify_signatures_total",
      help: "Signatures sent to the verification workers (those pending included).",
      registers,
      collect() {
        this.reset();
        this.inc(s.verifySignatures());
      },
    });
    new Counter({
      name: "opl_verify_messages_total",
      help: "Messages those signatures went to the verification workers in (signatures over messages: how well they are gathered).",
      registers,
      collect() {
        this.reset();
        this.inc(s.verifyMessages());
      },
    });
    new Gauge({
      name: "opl_peers",
      help: "Peers connected, by who dialled (a peer with connections both ways counts in both).",
      labelNames: ["direction"],
      registers,
      collect() {
        const peers = new Map<string, Set<string>>(DIRECTIONS.map((d) => [d, new Set()]));
        for (const c of s.connections()) peers.get(c.direction)?.add(c.peer);
        for (const [direction, set] of peers) this.set({ direction }, set.size);
      },
    });
    reading("opl_rpc_subscriptions", "Open WebSocket subscriptions.", () => this.subscriptionCount());

    this.blockInterval = new Histogram({
      name: "opl_block_interval_seconds",
      help: "Time between consecutive blocks' header times.",
      buckets: INTERVAL_BUCKETS,
      registers,
    });
    this.heightRounds = new Histogram({
      name: "opl_consensus_height_rounds",
      help: "Rounds each committed height took (1: decided in its first round).",
      buckets: ROUND_BUCKETS,
      registers,
    });
    this.blockTxs = new Histogram({ name: "opl_block_txs", help: "Transactions per committed block.", buckets: TXS_BUCKETS, registers });
    this.committedTxs = new Counter({ name: "opl_committed_txs_total", help: "Transactions in committed blocks.", registers });
    this.walFsync = new Histogram({
      name: "opl_wal_fsync_duration_seconds",
      help: "Duration of the consensus WAL's fsyncs (each makes a group of records durable).",
      buckets: DISK_BUCKETS,
      registers,
    });
    this.commitBatch = new Histogram({
      name: "opl_block_commit_batch_duration_seconds",
      help: "Duration of writing a committed block, its results and its state changes in one LevelDB batch.",
      buckets: DISK_BUCKETS,
      registers,
    });
    this.rpcCalls = new RpcCallMetrics({
      registry: this.registry,
      methods: this.methods,
      unknownMethod: UNKNOWN_METHOD,
      buckets: RPC_BUCKETS,
      counterName: "opl_rpc_requests_total",
      counterHelp: `JSON-RPC calls by method (unknown names count as "${UNKNOWN_METHOD}") and outcome (ok or error).`,
      histogramName: "opl_rpc_request_duration_seconds",
      histogramHelp: "Time to answer a JSON-RPC call to a known method, by method.",
    });
  }

  /** A block was committed (by consensus or block sync): ChainApp.onCommit's listener. */
  readonly blockCommitted = (e: CommittedEvent): void => {
    // The interval from genesis time to block 1 says nothing about the chain's pace.
    if (e.height === this.last.height + 1 && this.last.height >= 1) {
      this.blockInterval.observe(Math.max(0, e.timeMs - this.last.timeMs) / 1000);
    }
    this.last = { height: e.height, timeMs: e.timeMs };
    this.heightRounds.observe(e.round + 1);
    this.blockTxs.observe(e.numTxs);
    this.committedTxs.inc(e.numTxs);
    this.commitBatch.observe(e.batchMs / 1000);
  };

  /** A JSON-RPC call was answered (the dispatcher's observer); `method` as the client named it. */
  called(method: string, seconds: number, ok: boolean): void {
    this.rpcCalls.called(method, seconds, ok);
  }

  /** `fsyncer`, timing each fsync into opl_wal_fsync_duration_seconds (for the consensus WAL). */
  timedFsyncer(fsyncer: Fsyncer): Fsyncer {
    return {
      fsync: async (fd) => {
        const started = performance.now();
        await fsyncer.fsync(fd);
        this.walFsync.observe((performance.now() - started) / 1000);
      },
    };
  }

  /**
   * The exposition for GET /metrics: its content type and text. At most one rendering per RENDER_EVERY_MS:
   * scrapes sooner (or while one is made) get the last one, so a stranger who asks for /metrics in a loop
   * costs the node a few milliseconds a second, not a core.
   */
  exposition(): Promise<{ contentType: string; body: string }> {
    const now = this.now();
    if (this.rendering === undefined || now - this.rendering.at >= RENDER_EVERY_MS) {
      const text = Promise.all([this.registry.metrics(), processRegistry().metrics()])
        .then(([node, process]) => ({ contentType: this.registry.contentType, body: node + process }));
      const rendering = { at: now, text };
      this.rendering = rendering;
      // A failed rendering is not kept: the next scrape tries again.
      text.catch(() => {
        if (this.rendering === rendering) this.rendering = undefined;
      });
    }
    return this.rendering.text;
  }
}

import type { Logger } from "pino";
import type { P2pHost } from "../p2p/host.ts";
import { PENALTY, type PeerScores } from "../p2p/peer-scores.ts";
import { type Block, blockTxHashes, type Commit } from "../proto/block.ts";
import { CodecError } from "../proto/codec.ts";
import { MAX_BLOCK_REQUEST_COUNT, SYNC_RESPONSE_BYTES, type SyncedBlock } from "../proto/p2p.ts";
import { decodeTx } from "../proto/tx.ts";
import type { ChainDb } from "../state/store/chain-db.ts";
import { InvalidBlockError } from "./chain-app.ts";
import { BlockSyncServer, SYNC_PROTOCOL } from "./block-sync-server.ts";
import { BlockFetcher } from "./block-fetch.ts";
import { SyncPeers } from "./sync-peers.ts";
import { SyncProgress } from "./sync-progress.ts";
import type { TxVerifier } from "./tx-verifier.ts";

export { SYNC_PROTOCOL };

/**
 * Block sync: a node behind its peers (new, or back after downtime) fetches decided blocks with the commits
 * that decided them, and commits them one by one through the consensus driver, which verifies each commit
 * against the validator set and executes the block in full; then consensus resumes at the next height.
 *
 * Peers announce their latest height (status messages on the consensus stream). Two or more blocks behind
 * the best peer starts a sync at once; one block behind starts one only if it lasts `graceMs` (3 s), since
 * in a live network a peer that committed before us is the normal case, not a lag: under load a big block
 * can take a second or more to check and commit, and a node that went to sync for it would sit out the next
 * height (if it is that height's proposer, the whole network waits for a round timeout). The same
 * protocol serves our blocks to others: one request of up to MAX_BLOCK_REQUEST_COUNT blocks per stream,
 * bounded in bytes by SYNC_RESPONSE_BYTES (both constants shared by server and client).
 *
 * Speed: a fresh node must catch up thousands of blocks a second. Ranges are fetched ahead (`rangesInFlight`
 * requests in flight) while the current one is applied; a range asks for as many blocks as fit the byte
 * limit at the block size seen so far; the signatures of the next blocks' txs are verified on the worker
 * pool (through the TxVerifier, which remembers them) while the current block executes; the block store
 * does not fsync each synced block but once per range and before consensus resumes (a crash loses at most
 * the blocks since the last fsync, a prefix LevelDB recovers whole, and the node syncs them again); the log
 * says how far it got about once a second, not per block. Nothing is checked less: each block is executed
 * in full by the application against its commit (see SyncTarget.applySynced).
 */
/**
 * How long a peer may answer no blocks (busy) before its claimed height is dropped for distrustMs (see
 * SyncPeers.answeredNothing): longer than an honest server's budget stays spent by stalled readers (they are dropped
 * after the request timeout's no-progress rule).
 */
export const EMPTY_ANSWERS_MS = 20_000;

export interface BlockSyncOptions {
  batchBlocks: number;
  graceMs: number;
  checkMs: number;
  /**
   * A block request fails when the peer sends nothing for this long (a response may take much longer as a
   * whole: up to 64 full blocks, hundreds of MB, arrive in minutes on a modest link)...
   */
  requestTimeoutMs: number;
  /** ...or when its bytes fall behind this rate (after requestTimeoutMs of grace): a trickle is a stall. */
  minTransferBytesPerSecond: number;
  /** Block ranges requested ahead of the one being applied (each a stream; servers take 4 per peer). */
  rangesInFlight: number;
  /** Block requests served per peer per second. */
  maxRequestsPerSecond: number;
  /** A peer that claimed blocks it then did not serve is not believed for this long. */
  distrustMs: number;
  /**
   * A peer that answered none of the blocks asked is not asked again for this long, and not charged: a
   * server answers none when its budget of answer bytes in flight is spent (BlockSyncServer).
   */
  busyRetryMs: number;
  /** How long a peer may answer only empty before its claim is dropped (EMPTY_ANSWERS_MS; see SyncPeers.answeredNothing). */
  emptyAnswersMs: number;
  /** More than this many blocks behind the best peer is "catching up". */
  catchingUpLag: number;
  progressLogMs: number;
  /** The node has peers configured: until one reports its height, it cannot claim to be at the tip. */
  expectPeers: boolean;
}

export const DEFAULT_BLOCK_SYNC: BlockSyncOptions = {
  batchBlocks: MAX_BLOCK_REQUEST_COUNT,
  graceMs: 3000,
  checkMs: 250,
  requestTimeoutMs: 15_000,
  minTransferBytesPerSecond: 64 * 1024,
  rangesInFlight: 2,
  maxRequestsPerSecond: 10,
  distrustMs: 30_000,
  busyRetryMs: 1000,
  emptyAnswersMs: EMPTY_ANSWERS_MS,
  catchingUpLag: 2,
  progressLogMs: 1000,
  expectPeers: false,
};

/** What block sync needs of the consensus driver. */
export interface SyncTarget {
  height(): number;
  beginSync(): void;
  /** Verifies and commits; false if the chain is not at the block's parent; throws if the block or commit is bad. */
  applySynced(block: Block, commit: Commit): Promise<boolean>;
  endSync(): void;
  /**
   * Whether consensus cannot decide its height by itself: +2/3 precommitted a block it never received.
   * Optional: without it, a node one block behind waits out graceMs.
   */
  lacksDecidedBlock?(): boolean;
  /**
   * Whether block commits are fsynced one by one (true, the default) or only at `flushWrites` (false, while
   * syncing). Optional: a target without it fsyncs every block.
   */
  durableWrites?(durable: boolean): Promise<void>;
  /** Makes every block committed so far durable (an fsync). */
  flushWrites?(): Promise<void>;
}

/**
 * How long consensus stays held while the next range's answer is awaited, once blocks were applied: an
 * honest peer's next answer is usually in by then (it is asked for while one range applies), and with full
 * blocks (an answer of one or two) resuming at each wait made consensus start, and at times propose, a height
 * the network decided long ago, once per range. A peer withholding its answer holds it no longer than this.
 */
export const HOLD_FOR_ANSWER_MS = 1000;

/** Txs of the blocks ahead whose signatures are being verified while the current block executes. */
const PREVERIFY_TXS = 16_384;

/** One block range requested: its answer arrives while earlier ranges are applied. */
interface Range {
  from: number;
  count: number;
  peer: string;
  answer: Promise<SyncedBlock[]>;
  /** Whether the answer is in (or failed): blocks in hand, not a claim still to be made good. */
  settled: boolean;
}

export class BlockSync {
  private readonly host: P2pHost;
  private readonly db: ChainDb;
  private readonly chain: SyncTarget;
  private readonly scores: PeerScores;
  private readonly log: Logger;
  private readonly o: BlockSyncOptions;
  /** Our side of the protocol that answers other nodes' requests. */
  private readonly server: BlockSyncServer;
  /** The heights peers claim, and whom not to ask for a while. */
  private readonly peers: SyncPeers;
  private readonly fetcher: BlockFetcher;
  private readonly onFatal: (err: unknown) => void;
  private readonly verifier: TxVerifier | undefined;
  private behindSinceMs: number | undefined;
  private active = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** Waits under way (see `pause`): `stop` ends them at once. */
  private readonly pauses = new Set<() => void>();

  constructor(deps: {
    host: P2pHost;
    db: ChainDb;
    chain: SyncTarget;
    scores: PeerScores;
    log: Logger;
    /** A local failure while committing a synced block (a disk error): the node cannot go on. */
    onFatal: (err: unknown) => void;
    /** Verifies the next blocks' tx signatures ahead, on the worker pool (optional: tests without one). */
    verifier?: TxVerifier;
    options?: Partial<BlockSyncOptions>;
  }) {
    this.onFatal = deps.onFatal;
    this.verifier = deps.verifier;
    this.host = deps.host;
    this.db = deps.db;
    this.chain = deps.chain;
    this.scores = deps.scores;
    this.log = deps.log;
    this.o = { ...DEFAULT_BLOCK_SYNC, ...deps.options };
    this.peers = new SyncPeers(this.o);
    this.fetcher = new BlockFetcher(deps.host, this.o);
    this.server = new BlockSyncServer({
      host: deps.host,
      db: deps.db,
      height: () => deps.chain.height(),
      scores: deps.scores,
      options: this.o,
    });
  }

  async start(): Promise<void> {
    await this.server.start();
    this.host.addEventListener("peer:disconnect", (evt) => {
      this.peers.forget(evt.detail.toString());
      this.fetcher.forget(evt.detail.toString());
    });
    this.timer = setInterval(() => this.check(), this.o.checkMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const end of this.pauses) end();
    await this.server.stop();
  }

  /** A peer's latest committed height, from its status message. */
  onStatus(peer: string, height: number): void {
    this.peers.claim(peer, height);
  }

  get bestPeerHeight(): number {
    return this.peers.best;
  }

  /**
   * True while this node is more than a couple of blocks behind the best of its peers, and also while a
   * node that has peers to hear from has not heard from any yet: "I don't know" must not read as "at the
   * tip" (a fresh node would otherwise report false for its first second, hundreds of blocks behind).
   */
  get catchingUp(): boolean {
    // No peer height to compare with (none heard yet, or the only ones were disconnected or distrusted).
    if (!this.peers.heardAny || this.peers.count === 0) return this.o.expectPeers;
    return this.bestPeerHeight - this.chain.height() > this.o.catchingUpLag;
  }

  private check(): void {
    if (this.active || this.stopped) return;
    const lag = this.bestPeerHeight - this.chain.height();
    if (lag <= 0) {
      this.behindSinceMs = undefined;
      return;
    }
    const now = Date.now();
    this.behindSinceMs ??= now;
    // Every peer ahead resting (it had no room for us): asked again once one's rest is over.
    if (this.peers.ahead(this.chain.height() + 1).length === 0) return;
    // One block behind, consensus may still decide it (its proposal and votes may be on the way), so sync
    // waits out graceMs, unless the network decided it with a block this node never got. Then waiting loses:
    // a node that resumed consensus just after a height's proposal went out (a sync's end, a restart) had
    // no proposal to decide with (it is re-sent only every third tick, while the round lasts), waited 3 s,
    // synced two blocks, resumed just after the next proposal, and so on: under load, a validator stayed out
    // of consensus for as long as the load lasted (test/e2e/validator-set-change.test.ts, 3 runs of 10 with
    // four busy loops beside it).
    if (lag >= 2 || now - this.behindSinceMs >= this.o.graceMs || this.chain.lacksDecidedBlock?.() === true) {
      this.behindSinceMs = undefined;
      void this.run();
    }
  }

  /** Fetches and commits blocks until no peer is ahead, then hands the next height back to consensus. */
  private async run(): Promise<void> {
    this.active = true;
    // Consensus keeps going until a synced block is actually in hand: a peer that only claims a height
    // must not be able to hold our heights back.
    let began = false;
    let fatal = false; // a local failure (disk): consensus must not resume on what was not written
    const startHeight = this.chain.height();
    const progress = new SyncProgress(this.log, this.o.progressLogMs, startHeight);
    let failures = 0;
    this.log.info({ height: startHeight, target: this.bestPeerHeight }, "block sync: behind peers, fetching blocks");
    /** Ranges requested, in height order; `next` is the first height not requested yet. */
    let pending: Range[] = [];
    let next = startHeight + 1;
    const restart = () => {
      pending = []; // their answers still arrive, and are dropped
      next = this.chain.height() + 1;
    };
    try {
      while (!this.stopped && failures < 3) {
        if (next <= this.chain.height()) restart(); // consensus committed meanwhile (before the sync began)
        while (pending.length < this.o.rangesInFlight) {
          const range = this.request(next);
          if (range === undefined) break;
          pending.push(range);
          next += range.count;
        }
        const range = pending.shift();
        if (range === undefined) break; // no peer is ahead
        const { peer } = range;
        if (began && !range.settled) await this.pause(HOLD_FOR_ANSWER_MS, range.answer);
        if (began && !range.settled && !this.stopped) {
          // Consensus is held only while blocks in hand are applied, and for HOLD_FOR_ANSWER_MS of a wait for
          // more: a claim is no block, whoever makes it, so consensus goes on while an answer is awaited past
          // that, and the answer holds it again when it arrives. Before, peers claiming far heights kept a
          // validator from voting for as long as an honest peer's new block now and then reset the failure
          // count; and a peer that had served one real block (the network's next, from gossip) was believed for
          // the rest of its claim, and held consensus for the request timeout by withholding it.
          began = false;
          if (!(await this.resumeConsensus("waiting for blocks from peers"))) {
            fatal = true;
            return;
          }
        }
        let blocks: SyncedBlock[];
        try {
          blocks = await range.answer;
          if (this.stopped) break;
        } catch (err) {
          failures++;
          const bad = err instanceof CodecError;
          this.peers.distrust(peer);
          this.scores.penalize(peer, bad ? PENALTY.invalidMessage : PENALTY.unresponsive, `block sync: ${(err as Error).message}`);
          restart();
          continue;
        }
        if (blocks.length === 0) {
          // None for now: the peer's budget of answers in flight is spent (or it claimed a height it does not
          // serve, which costs us no more than this). Not charged: the range is asked of another peer ahead, or
          // of this one once its rest is over, and the ranges after it stay in flight. Before, a busy answer
          // dropped them all (their answers, often already here, were asked for again) and counted as a
          // failure, three of which ended the sync for a second.
          this.peers.answeredNothing(peer);
          const again = this.askAgain(range);
          if (again !== undefined) {
            pending.unshift(again);
            continue;
          }
          failures++; // its claim was dropped (empty for too long), and no other peer is ahead
          restart();
          continue;
        }
        if (blocks.every((b) => b.block.header.height <= this.chain.height())) {
          // Consensus committed them meanwhile: nothing to apply, so nothing to hold consensus for, and they
          // prove nothing of the peer (they are skipped unchecked, and do not end its run of empty answers).
          restart();
          continue;
        }
        this.peers.served(peer);
        failures = 0;
        // A short answer (the byte limit): the rest of the range is asked for at once, ahead of the others.
        if (blocks.length < range.count) {
          pending.unshift(this.fetchRange(peer, range.from + blocks.length, range.count - blocks.length));
        }
        if (!began) {
          began = true;
          this.chain.beginSync();
          await this.chain.durableWrites?.(false);
        }
        const outcome = await this.apply(blocks, peer, progress);
        if (outcome === "stop") return;
        if (outcome === "bad") {
          failures++;
          restart();
        } else if (outcome === "moved") {
          restart();
        }
        // One fsync per range, not per block: a crash loses at most this range, which is synced again.
        await this.chain.flushWrites?.();
      }
    } catch (err) {
      // Not the peer's fault (a disk error, consensus stopped): nothing more can be committed.
      fatal = true;
      if (!this.stopped) this.onFatal(err);
    } finally {
      this.active = false;
      const summary = progress.summary(this.chain.height());
      if (fatal) {
        // Stopped on a local failure: onFatal has been called; consensus does not resume.
      } else if (began) await this.resumeConsensus("done", summary);
      else this.log.info(summary, "block sync: done; consensus was not held (no blocks, or none since it resumed)");
    }
  }

  /**
   * Makes the synced blocks durable, then lets consensus start the next height; false (and onFatal) if the
   * disk failed: consensus never resumes on blocks that may not be on disk, it would sign on top of them.
   */
  private async resumeConsensus(why: string, summary?: object): Promise<boolean> {
    try {
      await this.chain.durableWrites?.(true);
    } catch (err) {
      if (!this.stopped) this.onFatal(err);
      return false;
    }
    this.log.info({ ...summary, height: this.chain.height() }, `block sync: ${why}, consensus resumes`);
    if (!this.stopped) this.chain.endSync();
    return true;
  }

  /**
   * Applies a range in order, the next blocks' signatures verifying on the pool meanwhile. "ok": all
   * applied; "moved": the chain is not where the range starts; "bad": the peer sent an invalid block (it is
   * penalised); "stop": the sync stopped, or failed locally (onFatal was called).
   */
  private async apply(blocks: SyncedBlock[], peer: string, progress: SyncProgress): Promise<"ok" | "moved" | "bad" | "stop"> {
    const verified: (Promise<unknown> | undefined)[] = [];
    let ahead = 0; // blocks whose verification was started
    let aheadTxs = 0;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i];
      if (b.block.header.height <= this.chain.height()) continue; // committed by consensus before the sync began
      if (this.verifier !== undefined) {
        while (ahead < blocks.length && (ahead <= i || aheadTxs < PREVERIFY_TXS)) {
          verified[ahead] = this.preverify(blocks[ahead].block);
          aheadTxs += blocks[ahead].block.txs.length;
          ahead++;
        }
        await verified[i];
        aheadTxs -= b.block.txs.length;
      }
      try {
        if (!(await this.chain.applySynced(b.block, b.commit))) return "moved";
      } catch (err) {
        if (this.stopped) return "stop";
        if (!(err instanceof InvalidBlockError)) {
          this.onFatal(err);
          return "stop";
        }
        this.peers.distrust(peer);
        this.scores.penalize(peer, PENALTY.badBlock, `block sync: ${err.message}`);
        return "bad";
      }
      progress.committed(b.block.header.height, b.block.txs.length, this.bestPeerHeight);
    }
    return "ok";
  }

  /**
   * Verifies a block's tx signatures on the pool; the TxVerifier remembers the good ones, so executing the
   * block does not verify them again. A tx that does not decode or verify is left to execution to refuse.
   */
  private preverify(block: Block): Promise<unknown> | undefined {
    const verifier = this.verifier;
    if (verifier === undefined || block.txs.length === 0) return undefined;
    const hashes = blockTxHashes(block);
    const checks: Promise<boolean>[] = [];
    for (let i = 0; i < block.txs.length; i++) {
      try {
        checks.push(verifier.verify(decodeTx(block.txs[i], hashes[i])));
      } catch {
        // execution refuses the block with its reason
      }
    }
    return Promise.all(checks).catch(() => {});
  }

  /** A request for the blocks from `from`, to a peer that has them; undefined when no peer is ahead. */
  private request(from: number): Range | undefined {
    const ahead = this.peers.ahead(from);
    if (ahead.length === 0) return undefined;
    const [peer, peerHeight] = ahead[Math.floor(Math.random() * ahead.length)];
    // As many blocks as fit one answer at the size seen so far (a full block's answer holds one or two).
    const frameBytes = this.fetcher.meanFrameBytes;
    const fit = frameBytes === undefined ? this.o.batchBlocks : Math.floor(SYNC_RESPONSE_BYTES / frameBytes);
    const count = Math.max(1, Math.min(fit, this.o.batchBlocks, MAX_BLOCK_REQUEST_COUNT, peerHeight - from + 1));
    return this.fetchRange(peer, from, count);
  }

  /**
   * A range a peer answered empty, asked again: of another peer ahead at once, else of the same peer once its
   * rest is over if its claim stands; undefined if neither.
   */
  private askAgain(range: Range): Range | undefined {
    const ahead = this.peers.ahead(range.from);
    // Those that claim the whole range first: one that claims less answers short, and the rest is asked of it.
    const whole = ahead.filter(([, height]) => height >= range.from + range.count - 1);
    const others = whole.length > 0 ? whole : ahead;
    if (others.length > 0) {
      const [other] = others[Math.floor(Math.random() * others.length)];
      return this.fetchRange(other, range.from, range.count);
    }
    if (!this.peers.claims(range.peer, range.from)) return undefined;
    return this.rangeOf(range.peer, range.from, range.count, this.pause(this.o.busyRetryMs).then(() => {
      if (this.stopped) return [];
      return this.fetcher.fetch(range.peer, range.from, range.count);
    }));
  }

  /** Resolves after `ms`, or once `until` settles, or at once when the sync stops. */
  private pause(ms: number, until?: Promise<unknown>): Promise<void> {
    return new Promise<void>((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.pauses.delete(end);
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.pauses.add(end);
      until?.then(end, end);
    });
  }

  private fetchRange(peer: string, from: number, count: number): Range {
    return this.rangeOf(peer, from, count, this.fetcher.fetch(peer, from, count));
  }

  private rangeOf(peer: string, from: number, count: number, answer: Promise<SyncedBlock[]>): Range {
    const range: Range = { from, count, peer, answer, settled: false };
    const settle = () => {
      range.settled = true;
    };
    answer.then(settle, settle); // and a range dropped by a restart is not awaited: its failure is handled here
    return range;
  }
}

import type { Connection, Stream } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";
import type { P2pHost } from "../p2p/host.ts";
import { InFlightBudget, type InFlightTicket } from "../p2p/in-flight-budget.ts";
import { PENALTY, type PeerScores } from "../p2p/peer-scores.ts";
import { PerSecondCounts, strangerTest } from "../p2p/per-second-counts.ts";
import { StrangerShares } from "../p2p/stranger-shares.ts";
import { TransferDeadline } from "../p2p/transfer-deadline.ts";
import { type Commit, encodeCommit } from "../proto/block.ts";
import { lengthDelimitedFieldBytes } from "../proto/block-limits.ts";
import {
  decodeBlockRequest,
  encodeSyncedBlock,
  MAX_BLOCK_REQUEST_COUNT,
  MAX_SYNC_ANSWER_BYTES,
  MAX_SYNCED_BLOCK_BYTES,
  syncResponseFits,
} from "../proto/p2p.ts";
import type { ChainDb } from "../state/store/chain-db.ts";
import type { BlockSyncOptions } from "./block-sync.ts";

/**
 * The serving side of block sync: answers other nodes' block requests on SYNC_PROTOCOL, one request of up to
 * MAX_BLOCK_REQUEST_COUNT blocks per stream, bounded in bytes by SYNC_RESPONSE_BYTES (the constants the
 * client checks the answer against), at most `maxRequestsPerSecond` requests per peer; far past that a peer
 * is penalised for flooding. Strangers (peers not in p2p.persistent_peers) share bounds of their own as well
 * (SYNC_STRANGERS_REQUEST_SHARE, SYNC_ANSWER_BYTES_STRANGERS), so any number of their ids costs a bounded
 * amount and leaves the persistent peers served. A request is a few bytes; its answer is planned from the
 * stored sizes and commits, its bytes taken from a budget of answer bytes in flight (all peers, each peer,
 * strangers) before any block is read, and its blocks read a group at a time just ahead of the writes. An
 * answer that does not fit the budget is cut short (the client asks for the rest) or, when not even its
 * first block fits, is empty (the client asks again shortly). An answer must keep moving, as the client
 * requires of it: nothing taken by the stream for `requestTimeoutMs`, or less than
 * `minTransferBytesPerSecond`, and it is given up on.
 */

export const SYNC_PROTOCOL = "/opl/sync/1";

/**
 * Answer bytes held for all peers at once: four whole answers. Without it, 100 connections of 4 streams
 * each asking for the largest range and never reading held 400 answers of 16 MiB for minutes.
 */
export const SYNC_ANSWER_BYTES_IN_FLIGHT = 4 * MAX_SYNC_ANSWER_BYTES;

/** Answer bytes held for one peer: the two ranges a client keeps in flight (`rangesInFlight`), whole. */
export const SYNC_ANSWER_BYTES_PER_PEER = 2 * MAX_SYNC_ANSWER_BYTES;

/**
 * Answer bytes held for all strangers (peers not in p2p.persistent_peers) together, when the node names any
 * persistent peer: all but one whole answer, kept for the persistent peers whatever peer ids strangers make
 * (they cost nothing); and one stranger id (SYNC_ANSWER_BYTES_PER_PEER at most) leaves the other strangers
 * an answer's worth. Before, two stalled stranger ids held all of SYNC_ANSWER_BYTES_IN_FLIGHT and every
 * client was answered empty until the request timeout dropped them. A node that names none (a seed, an RPC
 * node) serves strangers only: they share the whole budget.
 */
export const SYNC_ANSWER_BYTES_STRANGERS = SYNC_ANSWER_BYTES_IN_FLIGHT - MAX_SYNC_ANSWER_BYTES;

/**
 * Requests all strangers together are served per second, in peers' worth (maxRequestsPerSecond each), a
 * request counting one per SERVE_READ_CHUNK heights it asks for: each height is planned from the store (its
 * size, its metadata, its commit's frame) before the first byte goes out, then read and sent, so a request for
 * 1,024 blocks costs ~1,000 times one for a block (it counted as one: 40 strangers' requests a second made
 * ~40,000 heights' work). A stranger is served as many heights as its part allows, at least SERVE_READ_CHUNK
 * (an answer may be shorter than asked: the client asks on from where it ends). The share is split among
 * the strangers asking (p2p/stranger-shares.ts): past its part a stranger's request is answered empty ("busy":
 * its client rests a second and asks again, without blame; a server that answers it only empty for 20 s loses
 * its claimed height for a while, node/sync-peers.ts). Not bounded when the node names no persistent peer.
 */
export const SYNC_STRANGERS_REQUEST_SHARE = 4;

/**
 * Heights planned at once (their sizes, then the commits of those that fit), and blocks read at once; and the
 * heights of a stranger's request that count as one request (SYNC_STRANGERS_REQUEST_SHARE).
 */
export const SERVE_READ_CHUNK = 64;

/**
 * What one stranger may bank of the strangers' share, in requests of SERVE_READ_CHUNK heights: the two largest
 * requests a client keeps in flight (block sync's rangesInFlight, of MAX_BLOCK_REQUEST_COUNT heights each),
 * so an honest stranger syncing alone has both answered in full, not cut short and its re-ask answered busy
 * (which its client counts as a failure, dropping the range in flight). All strangers still take the share
 * a second on average.
 */
export const SYNC_STRANGER_CREDIT = 2 * Math.ceil(MAX_BLOCK_REQUEST_COUNT / SERVE_READ_CHUNK);

/** Block bytes read ahead of the writes (at least one block): what a stalled reader makes us hold in memory. */
const SERVE_READ_AHEAD_BYTES = 1024 * 1024;

/** Bytes handed to the stream at a time: each slice it takes is progress against the answer's deadline. */
const SEND_SLICE_BYTES = 64 * 1024;

/** Inbound sync streams at once per connection (a client keeps `rangesInFlight` open, 2 by default). */
const MAX_SYNC_STREAMS = 4;

/** A frame of an answer: its block's height and commit, its exact size, and its block if already read. */
interface PlannedFrame {
  height: number;
  commit: Commit;
  bytes: number;
  block: Uint8Array | undefined;
}

export interface BlockSyncServerStats {
  /** Answer bytes taken from the budget now (SYNC_ANSWER_BYTES_IN_FLIGHT at most). */
  bytesInFlight: number;
  /** Of them, taken for strangers (SYNC_ANSWER_BYTES_STRANGERS at most). */
  strangersBytesInFlight: number;
  /** Answers cut short, or left empty, because the budget had no room for more. */
  answersCut: number;
  /** Strangers' requests answered empty: past the asker's part of the strangers' share (StrangerShares). */
  strangersBusy: number;
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function varint(n: number): Uint8Array {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  out.push(n);
  return Uint8Array.from(out);
}

/** How many of a chunk's blocks may follow `sent` frames of `bytes` by their stored sizes alone. */
function fitBySize(sizes: (number | undefined)[], sent: number, bytes: number): number {
  let fit = 0;
  for (let projected = bytes; fit < sizes.length; fit++) {
    const size = sizes[fit];
    // A frame is more than its block: one that cannot fit by its block alone is not looked at further.
    if (size !== undefined && !syncResponseFits(sent + fit, projected, size)) break;
    projected += size ?? 0;
  }
  return fit;
}

/** A synced block frame's size (encodeSyncedBlock's length), from its block's size, without building it. */
function frameBytes(blockBytes: number, commit: Commit): number {
  return lengthDelimitedFieldBytes(blockBytes) + lengthDelimitedFieldBytes(encodeCommit(commit).byteLength);
}

/** Resolves when the stream can take more bytes; rejects when it closes or the deadline passes first. */
function drained(stream: Stream, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error) => {
      stream.removeEventListener("drain", onDrain);
      stream.removeEventListener("close", onClose);
      signal.removeEventListener("abort", onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error("the stream closed before the answer was written"));
    const onAbort = () => settle(signal.reason as Error);
    if (signal.aborted) return onAbort();
    stream.addEventListener("drain", onDrain);
    stream.addEventListener("close", onClose);
    signal.addEventListener("abort", onAbort);
  });
}

/**
 * Hands `bytes` to the stream, waiting while it is full: a client that does not read leaves the answer
 * waiting here (not queued in memory) until the deadline ends it. A slice taken is progress.
 */
async function sendSlice(stream: Stream, bytes: Uint8Array, deadline: TransferDeadline): Promise<void> {
  deadline.signal.throwIfAborted();
  if (!stream.send(bytes)) await drained(stream, deadline.signal);
  deadline.progress(bytes.byteLength);
}

/** A length-prefixed frame (as lpStream writes it), a slice at a time; the prefix goes with the first. */
async function sendFrame(stream: Stream, frame: Uint8Array, deadline: TransferDeadline): Promise<void> {
  const prefix = varint(frame.byteLength);
  const first = Math.min(frame.byteLength, SEND_SLICE_BYTES - prefix.byteLength);
  const head = new Uint8Array(prefix.byteLength + first);
  head.set(prefix);
  head.set(frame.subarray(0, first), prefix.byteLength);
  await sendSlice(stream, head, deadline);
  for (let at = first; at < frame.byteLength; at += SEND_SLICE_BYTES) {
    await sendSlice(stream, frame.subarray(at, at + SEND_SLICE_BYTES), deadline);
  }
}

export class BlockSyncServer {
  private readonly host: P2pHost;
  private readonly db: ChainDb;
  private readonly height: () => number;
  private readonly scores: PeerScores;
  private readonly o: Pick<BlockSyncOptions, "requestTimeoutMs" | "minTransferBytesPerSecond" | "maxRequestsPerSecond">;
  /** This second's requests, each peer's: all it asked. */
  private readonly requests: PerSecondCounts;
  /** This second's requests served to strangers, split fairly among those asking. */
  private readonly strangerShares: StrangerShares;
  private readonly budget: InFlightBudget;
  /** A peer not named in p2p.persistent_peers, when any is (strangerTest). */
  private readonly isStranger: (peer: string) => boolean;

  private answersCut = 0;
  private strangersBusy = 0;

  constructor(deps: {
    host: P2pHost;
    db: ChainDb;
    /** Our latest committed height: nothing above it is served. */
    height: () => number;
    scores: PeerScores;
    options: Pick<BlockSyncOptions, "requestTimeoutMs" | "minTransferBytesPerSecond" | "maxRequestsPerSecond">;
    /** The clock (ms) whose seconds requests are counted in. Default: Date.now. */
    now?: () => number;
  }) {
    this.host = deps.host;
    this.db = deps.db;
    this.height = deps.height;
    this.scores = deps.scores;
    this.o = deps.options;
    this.requests = new PerSecondCounts(deps.now);
    const max = deps.options.maxRequestsPerSecond;
    const cap = Math.max(max, SYNC_STRANGER_CREDIT);
    this.strangerShares = new StrangerShares({ share: SYNC_STRANGERS_REQUEST_SHARE * max, cap }, deps.now);
    this.isStranger = strangerTest(deps.scores.persistentPeers);
    this.budget = new InFlightBudget({
      totalBytes: SYNC_ANSWER_BYTES_IN_FLIGHT,
      perPeerBytes: SYNC_ANSWER_BYTES_PER_PEER,
      strangersBytes: SYNC_ANSWER_BYTES_STRANGERS,
    });
  }

  get stats(): BlockSyncServerStats {
    return {
      bytesInFlight: this.budget.bytes,
      strangersBytesInFlight: this.budget.strangersBytes,
      answersCut: this.answersCut,
      strangersBusy: this.strangersBusy,
    };
  }

  async start(): Promise<void> {
    await this.host.handle(SYNC_PROTOCOL, (stream, connection) => this.serve(stream, connection), {
      maxInboundStreams: MAX_SYNC_STREAMS,
      maxOutboundStreams: MAX_SYNC_STREAMS,
    });
  }

  async stop(): Promise<void> {
    await this.host.unhandle(SYNC_PROTOCOL);
  }

  /**
   * The frames of a response: the blocks from `from` (at most `count`, up to our tip) that fit the byte
   * limit and the budget, each taken from `ticket` before its block is read. The stored sizes come first
   * (a block that cannot fit is never looked at further), then the commits of those that may: they size
   * each frame exactly, so the count the answer starts with is known before any block is read. `cut`: the
   * budget ended it.
   */
  private async plan(
    from: number,
    count: number,
    ticket: InFlightTicket,
  ): Promise<{ frames: PlannedFrame[]; cut: boolean }> {
    const frames: PlannedFrame[] = [];
    let bytes = 0;
    const end = Math.min(from + count, this.height() + 1);
    for (let start = from; start < end; start += SERVE_READ_CHUNK) {
      const heights = Array.from({ length: Math.min(SERVE_READ_CHUNK, end - start) }, (_, i) => start + i);
      const sizes = await Promise.all(heights.map((h) => this.db.blockSize(h)));
      const fit = fitBySize(sizes, frames.length, bytes);
      const metas = await Promise.all(heights.slice(0, fit).map((h) => this.db.getBlockMeta(h)));
      for (let i = 0; i < fit; i++) {
        const meta = metas[i];
        if (meta === undefined) return { frames, cut: false };
        const frame = await this.planFrame(heights[i], sizes[i], meta.commit, ticket);
        if (frame === "absent") return { frames, cut: false };
        if (frame === "over budget") return { frames, cut: true };
        if (!syncResponseFits(frames.length, bytes, frame.bytes)) {
          ticket.give(frame.bytes);
          return { frames, cut: false };
        }
        frames.push(frame);
        bytes += frame.bytes;
      }
      if (fit < heights.length) break;
    }
    return { frames, cut: false };
  }

  /**
   * One frame, its bytes taken from the budget. A block stored without its size (from before sizes were
   * stored) is read to learn it, the largest frame taken first and the rest given back once it is known.
   */
  private async planFrame(
    height: number,
    size: number | undefined,
    commit: Commit,
    ticket: InFlightTicket,
  ): Promise<PlannedFrame | "over budget" | "absent"> {
    if (size !== undefined) {
      const bytes = frameBytes(size, commit);
      return ticket.take(bytes) ? { height, commit, bytes, block: undefined } : "over budget";
    }
    if (!ticket.take(MAX_SYNCED_BLOCK_BYTES)) return "over budget";
    const block = await this.db.getBlockBytes(height);
    if (block === undefined) {
      ticket.give(MAX_SYNCED_BLOCK_BYTES);
      return "absent";
    }
    const bytes = frameBytes(block.byteLength, commit);
    ticket.give(MAX_SYNCED_BLOCK_BYTES - bytes); // a stored block is a valid one: its frame is within the largest
    return { height, commit, bytes, block };
  }

  /** The blocks of the frames from `at`: up to SERVE_READ_CHUNK of them and SERVE_READ_AHEAD_BYTES (one at least). */
  private async readGroup(frames: PlannedFrame[], at: number): Promise<Uint8Array[]> {
    let end = at + 1;
    for (let bytes = frames[at].bytes; end < frames.length && end - at < SERVE_READ_CHUNK; end++) {
      bytes += frames[end].bytes;
      if (bytes > SERVE_READ_AHEAD_BYTES) break;
    }
    return Promise.all(frames.slice(at, end).map(async (f) => {
      const block = f.block ?? (await this.db.getBlockBytes(f.height));
      if (block === undefined) throw new Error(`block ${f.height} is no longer stored`);
      f.block = undefined; // held by the group now, and dropped with it once written
      return block;
    }));
  }

  /** Writes the count, then the frames, each group's blocks read once the one before it is written. */
  private async send(
    stream: Stream,
    frames: PlannedFrame[],
    ticket: InFlightTicket,
    deadline: TransferDeadline,
  ): Promise<void> {
    await sendFrame(stream, u32(frames.length), deadline);
    for (let at = 0; at < frames.length;) {
      const blocks = await this.readGroup(frames, at);
      for (const block of blocks) {
        const f = frames[at++];
        const frame = encodeSyncedBlock(block, f.commit);
        // The count already went out: a frame of another size than planned (a bug) ends the answer.
        if (frame.byteLength !== f.bytes) throw new Error(`block ${f.height}: a frame of ${frame.byteLength} bytes, ${f.bytes} planned`);
        await sendFrame(stream, frame, deadline);
        ticket.give(f.bytes); // handed to the stream: what is still unsent there is within its window
      }
    }
  }

  /** Answers one block request: a count, then that many blocks with their commits. */
  private async serve(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString();
    const stranger = this.isStranger(peer);
    const max = this.o.maxRequestsPerSecond;
    const asked = this.requests.request(peer, max);
    if (asked !== "ok") {
      // Over the limit: refused. Far over it (our own client paces itself below it): a flood, penalised.
      stream.abort(new Error("too many block requests"));
      if (asked === "flood") this.scores.penalize(peer, PENALTY.flooding, `more than ${3 * max} block requests in a second`);
      return;
    }
    const signal = AbortSignal.timeout(this.o.requestTimeoutMs);
    const lp = lpStream(stream, { maxDataLength: 64 });
    let req;
    try {
      req = decodeBlockRequest((await lp.read({ signal })).subarray());
    } catch (err) {
      stream.abort(err as Error);
      // An oversized or undecodable request is the peer's doing; a timeout or a reset may be the network's.
      const name = (err as Error).name;
      if (name !== "AbortError" && name !== "TimeoutError" && name !== "StreamResetError") {
        const reason = `bad block request: ${(err as Error).message}`;
        this.scores.penalize(peer, PENALTY.invalidMessage, reason);
      }
      return;
    }
    // Strangers' share, counted once a request came, split among the strangers asking (StrangerShares): past
    // this one's part the answer is empty ("busy"), no offence of its own (others may have spent the share).
    const served = stranger ? this.strangersHeights(peer, req.fromHeight, req.count) : req.count;
    if (served === "busy") this.strangersBusy++;
    await this.answer(stream, peer, stranger, req.fromHeight, served === "busy" ? 0 : served);
  }

  /**
   * The heights a stranger's request is served: as many of those it asks for (up to our tip) as its part of
   * the strangers' share pays for, one request per SERVE_READ_CHUNK of them (at least one), taken here.
   */
  private strangersHeights(peer: string, from: number, asked: number): number | "busy" {
    const heights = Math.max(0, Math.min(asked, this.height() + 1 - from));
    const wanted = Math.max(1, Math.ceil(heights / SERVE_READ_CHUNK));
    const chunks = Math.min(wanted, Math.floor(this.strangerShares.room(peer)));
    if (chunks < 1) return "busy";
    this.strangerShares.count(peer, chunks);
    return Math.min(heights, chunks * SERVE_READ_CHUNK);
  }

  /** Plans, then writes one answer; whatever it still holds of the budget goes back however it ends. */
  private async answer(stream: Stream, peer: string, stranger: boolean, from: number, count: number): Promise<void> {
    const ticket = this.budget.ticket(peer, stranger);
    let deadline: TransferDeadline | undefined;
    try {
      const { frames, cut } = await this.plan(from, count, ticket);
      if (cut) this.answersCut++;
      // The answer must keep moving, by the rule the client holds it to (it is the client's loss if not).
      deadline = new TransferDeadline({
        idleMs: this.o.requestTimeoutMs,
        minBytesPerSecond: this.o.minTransferBytesPerSecond,
      });
      await this.send(stream, frames, ticket, deadline);
      await stream.close({ signal: deadline.signal });
    } catch (err) {
      stream.abort(err as Error); // the client went away or stopped reading: its loss, not an offence
    } finally {
      deadline?.clear();
      ticket.close();
    }
  }
}

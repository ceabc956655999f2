import type { Connection, Stream } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";
import type { P2pHost } from "../p2p/host.ts";
import { PENALTY, type PeerScores } from "../p2p/peer-scores.ts";
import { decodeBlockRequest, encodeSyncedBlock, syncResponseFits } from "../proto/p2p.ts";
import type { ChainDb } from "../state/store/chain-db.ts";
import type { BlockSyncOptions } from "./block-sync.ts";

/**
 * The serving side of block sync: answers other nodes' block requests on SYNC_PROTOCOL, one request of up to
 * MAX_BLOCK_REQUEST_COUNT blocks per stream, bounded in bytes by SYNC_RESPONSE_BYTES (the constants the
 * client checks the answer against), at most `maxRequestsPerSecond` requests per peer; far past that a peer
 * is penalised for flooding. A request is a few bytes; its answer is read from the block store in chunks
 * whose sizes are checked before the blocks are read.
 */

export const SYNC_PROTOCOL = "/opl/sync/1";

/** Heights a server reads at once while answering a request (their sizes, then the blocks that fit). */
const SERVE_READ_CHUNK = 64;

/** Inbound sync streams at once per connection (a client keeps `rangesInFlight` open, 2 by default). */
const MAX_SYNC_STREAMS = 4;

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

export class BlockSyncServer {
  private readonly host: P2pHost;
  private readonly db: ChainDb;
  private readonly height: () => number;
  private readonly scores: PeerScores;
  private readonly o: Pick<BlockSyncOptions, "requestTimeoutMs" | "minTransferBytesPerSecond" | "maxRequestsPerSecond">;
  /** Requests served per peer in the current second. */
  private served = { second: 0, counts: new Map<string, number>() };

  constructor(deps: {
    host: P2pHost;
    db: ChainDb;
    /** Our latest committed height: nothing above it is served. */
    height: () => number;
    scores: PeerScores;
    options: Pick<BlockSyncOptions, "requestTimeoutMs" | "minTransferBytesPerSecond" | "maxRequestsPerSecond">;
  }) {
    this.host = deps.host;
    this.db = deps.db;
    this.height = deps.height;
    this.scores = deps.scores;
    this.o = deps.options;
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
   * limit. Reads go in parallel, a chunk of heights at a time (a range of a thousand small blocks is
   * thousands of reads), and the stored sizes first: a block that cannot fit is never read.
   */
  private async readRange(from: number, count: number): Promise<{ frames: Uint8Array[]; bytes: number }> {
    const frames: Uint8Array[] = [];
    let bytes = 0;
    const end = Math.min(from + count, this.height() + 1);
    for (let start = from; start < end; start += SERVE_READ_CHUNK) {
      const heights = Array.from({ length: Math.min(SERVE_READ_CHUNK, end - start) }, (_, i) => start + i);
      const sizes = await Promise.all(heights.map((h) => this.db.blockSize(h)));
      let fit = 0;
      for (let projected = bytes; fit < heights.length; fit++) {
        const size = sizes[fit];
        if (size !== undefined && !syncResponseFits(frames.length + fit, projected, size)) break;
        projected += size ?? 0;
      }
      const read = await Promise.all(heights.slice(0, fit).map((h) =>
        Promise.all([this.db.getBlockBytes(h), this.db.getBlockMeta(h)])));
      for (const [blockBytes, meta] of read) {
        if (blockBytes === undefined || meta === undefined) return { frames, bytes };
        const frame = encodeSyncedBlock(blockBytes, meta.commit);
        if (!syncResponseFits(frames.length, bytes, frame.byteLength)) return { frames, bytes };
        frames.push(frame);
        bytes += frame.byteLength;
      }
      if (fit < heights.length) break;
    }
    return { frames, bytes };
  }

  /** Answers one block request: a count, then that many blocks with their commits. */
  private async serve(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString();
    const second = Math.floor(Date.now() / 1000);
    if (this.served.second !== second) this.served = { second, counts: new Map() };
    const asked = (this.served.counts.get(peer) ?? 0) + 1;
    this.served.counts.set(peer, asked);
    if (asked > this.o.maxRequestsPerSecond) {
      // Over the limit: refused. Far over it (our own client paces itself below it): a flood, penalised.
      stream.abort(new Error("too many block requests"));
      if (asked > 3 * this.o.maxRequestsPerSecond) {
        this.scores.penalize(peer, PENALTY.flooding, `more than ${3 * this.o.maxRequestsPerSecond} block requests in a second`);
      }
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
    try {
      const { frames, bytes } = await this.readRange(req.fromHeight, req.count);
      // The answer may be long on a slow link: its time is scaled by its size, at the rate clients expect.
      const sendMs = this.o.requestTimeoutMs + Math.ceil((bytes * 1000) / this.o.minTransferBytesPerSecond);
      const sending = AbortSignal.timeout(sendMs);
      await lp.write(u32(frames.length), { signal: sending });
      for (const f of frames) await lp.write(f, { signal: sending });
      await stream.close({ signal: sending });
    } catch (err) {
      stream.abort(err as Error); // the client went away or stopped reading: its loss, not an offence
    }
  }
}

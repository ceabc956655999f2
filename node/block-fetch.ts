import type { Connection, Stream } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";
import type { P2pHost } from "../p2p/host.ts";
import { TransferDeadline } from "../p2p/transfer-deadline.ts";
import { CodecError } from "../proto/codec.ts";
import {
  decodeSyncedBlock,
  encodeBlockRequest,
  MAX_SYNCED_BLOCK_BYTES,
  SYNC_RESPONSE_BYTES,
  type SyncedBlock,
  syncResponseFits,
} from "../proto/p2p.ts";
import { SYNC_PROTOCOL } from "./block-sync-server.ts";

export interface BlockFetchOptions {
  /** A request fails when its answer makes no progress for this long... */
  requestTimeoutMs: number;
  /** ...or arrives slower than this on average. */
  minTransferBytesPerSecond: number;
  /** What a peer serves per second: requests to one peer are paced below it. */
  maxRequestsPerSecond: number;
}

/**
 * The client side of /opl/sync/1: one request of a range of blocks per stream, its answer read and checked
 * frame by frame (the count announced, the byte limit shared with the server, the heights in order), requests
 * to one peer paced below what it serves. Whether the blocks are valid is block sync's business.
 */
export class BlockFetcher {
  private readonly host: P2pHost;
  private readonly o: BlockFetchOptions;
  /** When we last sent block requests, per peer (see pace). */
  private readonly requested = new Map<string, number[]>();
  private frameBytes: number | undefined;

  constructor(host: P2pHost, o: BlockFetchOptions) {
    this.host = host;
    this.o = o;
  }

  /** Mean bytes of a synced block frame lately (undefined before any): how many blocks a range asks for. */
  get meanFrameBytes(): number | undefined {
    return this.frameBytes;
  }

  /** The peer disconnected: its pacing record goes. */
  forget(peer: string): void {
    this.requested.delete(peer);
  }

  /** Asks `peer` for `count` blocks from `from`; checks the answer is the blocks asked for, in order. */
  async fetch(peer: string, from: number, count: number): Promise<SyncedBlock[]> {
    await this.pace(peer);
    // Not one timeout for the whole response: it is heard out for as long as its bytes keep coming.
    const deadline = new TransferDeadline({
      idleMs: this.o.requestTimeoutMs,
      minBytesPerSecond: this.o.minTransferBytesPerSecond,
    });
    const signal = deadline.signal;
    let stream: Stream;
    try {
      stream = await this.connection(peer).newStream(SYNC_PROTOCOL, { signal });
    } catch (err) {
      deadline.clear();
      throw err;
    }
    const onBytes = (evt: { data: { byteLength: number } }) => deadline.progress(evt.data.byteLength);
    // The read buffer must hold a whole frame (lpStream's default is 4 MiB, below a full block's frame) and
    // may hold the whole answer while we decode: it is bounded by what we take from one response.
    const lp = lpStream(stream, {
      maxDataLength: MAX_SYNCED_BLOCK_BYTES,
      maxBufferSize: MAX_SYNCED_BLOCK_BYTES + SYNC_RESPONSE_BYTES + 16,
    });
    stream.addEventListener("message", onBytes);
    try {
      await lp.write(encodeBlockRequest({ fromHeight: from, count }), { signal });
      await stream.close({ signal });
      const header = (await lp.read({ signal })).subarray();
      if (header.byteLength !== 4) throw new CodecError("block sync response has no count");
      const n = new DataView(header.buffer, header.byteOffset, 4).getUint32(0);
      if (n > count) throw new CodecError(`block sync response of ${n} blocks; ${count} were asked for`);
      const blocks: SyncedBlock[] = [];
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        const frame = (await lp.read({ signal })).subarray();
        if (!syncResponseFits(i, bytes, frame.byteLength)) {
          throw new CodecError(`block sync response exceeds ${SYNC_RESPONSE_BYTES} bytes past its first block`);
        }
        bytes += frame.byteLength;
        const b = decodeSyncedBlock(frame);
        if (b.block.header.height !== from + i) {
          throw new CodecError(`block sync sent height ${b.block.header.height} where ${from + i} was due`);
        }
        blocks.push(b);
      }
      if (n > 0) this.frameBytes = Math.ceil(bytes / n);
      return blocks;
    } catch (err) {
      // A timeout surfaces as the signal's reason (what stalled and how), not a bare AbortError.
      const reason = signal.aborted ? (signal.reason as Error) : (err as Error);
      stream.abort(reason);
      throw reason;
    } finally {
      deadline.clear();
      stream.removeEventListener("message", onBytes);
    }
  }

  private connection(peer: string): Connection {
    const conn = this.host.getConnections().find((c) => c.remotePeer.toString() === peer && c.status === "open");
    if (conn === undefined) throw new Error("peer is not connected");
    return conn;
  }

  /**
   * Waits until another request to `peer` stays under what it serves (maxRequestsPerSecond, with room to
   * spare): near the tip a sync makes many small requests, and a peer is right to refuse a flood.
   */
  private async pace(peer: string): Promise<void> {
    const limit = Math.max(1, this.o.maxRequestsPerSecond - 2);
    const sent = (this.requested.get(peer) ?? []).filter((t) => t > Date.now() - 1000);
    if (sent.length >= limit) await new Promise((r) => setTimeout(r, sent[0] + 1000 - Date.now()));
    sent.push(Date.now());
    this.requested.set(peer, sent.slice(-limit));
  }
}

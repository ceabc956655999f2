import { CHUNKS_PER_FRAME_SLACK, MIN_AVERAGE_CHUNK_BYTES } from "../p2p/frame-decoder.ts";

/** First allocation for a body's bytes (or its limit, if smaller); doubled as more arrives. */
const INITIAL_BYTES = 4096;

/**
 * A request body's bytes as they arrive, copied into one buffer that grows by doubling (never past the body
 * limit), not kept as one Buffer per socket read: a client sending its body a byte per TCP segment made the
 * node hold an object (~200-300 bytes) per byte, and the body budget (rpc/body-bytes.ts) counts bytes. Pieces
 * are counted too, by gossip frames' rule (p2p/frame-decoder.ts): a body that arrives in more than
 * CHUNKS_PER_FRAME_SLACK pieces plus one per MIN_AVERAGE_CHUNK_BYTES is refused, since each piece is a
 * callback of ours; an honest client's body comes in reads of kilobytes.
 */
export class BodyBuffer {
  private readonly limit: number;
  private buffer = Buffer.alloc(0);
  private size = 0;
  private pieces = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  get bytes(): number {
    return this.size;
  }

  /** Takes the next piece (already checked against the limit); false if the body came in too many pieces. */
  append(chunk: Buffer): boolean {
    this.pieces++;
    const needed = this.size + chunk.byteLength;
    if (needed > this.buffer.byteLength) {
      const size = Math.min(this.limit, Math.max(needed, INITIAL_BYTES, 2 * this.buffer.byteLength));
      const grown = Buffer.allocUnsafe(size);
      this.buffer.copy(grown, 0, 0, this.size);
      this.buffer = grown;
    }
    chunk.copy(this.buffer, this.size);
    this.size = needed;
    return this.pieces <= CHUNKS_PER_FRAME_SLACK + this.size / MIN_AVERAGE_CHUNK_BYTES;
  }

  /** The body as UTF-8 text; the buffer is let go. */
  text(): string {
    const text = this.buffer.toString("utf8", 0, this.size);
    this.buffer = Buffer.alloc(0);
    this.size = 0;
    return text;
  }
}

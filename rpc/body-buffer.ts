import { CHUNKS_PER_FRAME_SLACK } from "../p2p/frame-decoder.ts";

/** First allocation for a body's bytes (or its limit, if smaller); doubled as more arrives. */
const INITIAL_BYTES = 4096;

/**
 * The smallest average piece a body may come in (past CHUNKS_PER_FRAME_SLACK pieces). Node's HTTP parser
 * hands over one piece per socket read, and one per HTTP chunk of a chunked body even within one read: a
 * client streaming a batch one call per write (~100 bytes each) is honest, one sending a byte per chunk
 * ("1\r\nX\r\n", six bytes on the wire a callback of ours) is not. Gossip frames' 1 KiB (p2p/frame-decoder.ts)
 * would refuse the first.
 */
export const MIN_AVERAGE_BODY_PIECE_BYTES = 16;

/**
 * A request body's bytes as they arrive, copied into one buffer that grows by doubling (never past the body
 * limit), not kept as one Buffer per piece: a client sending its body a byte per TCP segment made the node
 * hold an object (~200-300 bytes) per byte, which the body budget (rpc/body-bytes.ts) did not see. The budget
 * is charged the buffer's growth (`growthFor`), what the node holds. A body that arrives in more than
 * CHUNKS_PER_FRAME_SLACK pieces plus one per MIN_AVERAGE_BODY_PIECE_BYTES is refused: each piece is a
 * callback of ours.
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

  /** How much the buffer would grow to take `extra` more bytes: what the body budget is charged for them. */
  growthFor(extra: number): number {
    const needed = this.size + extra;
    return needed <= this.buffer.byteLength ? 0 : this.grownSize(needed) - this.buffer.byteLength;
  }

  private grownSize(needed: number): number {
    return Math.min(this.limit, Math.max(needed, INITIAL_BYTES, 2 * this.buffer.byteLength));
  }

  /** Takes the next piece (already checked against the limit); false if the body came in too many pieces. */
  append(chunk: Buffer): boolean {
    this.pieces++;
    const needed = this.size + chunk.byteLength;
    if (needed > this.buffer.byteLength) {
      const grown = Buffer.allocUnsafe(this.grownSize(needed));
      this.buffer.copy(grown, 0, 0, this.size);
      this.buffer = grown;
    }
    chunk.copy(this.buffer, this.size);
    this.size = needed;
    return this.pieces <= CHUNKS_PER_FRAME_SLACK + this.size / MIN_AVERAGE_BODY_PIECE_BYTES;
  }

  /** The body as UTF-8 text; the buffer is let go. */
  text(): string {
    const text = this.buffer.toString("utf8", 0, this.size);
    this.buffer = Buffer.alloc(0);
    this.size = 0;
    return text;
  }
}

/**
 * Splits a gossip stream's bytes into frames of [varint length][message]. Written here rather than taken
 * from @libp2p/utils: its LengthPrefixedDecoder caps its buffer at 4 MiB whatever the frame limit (so a
 * block over 4 MiB never crossed) and silently skips zero-length frames (so a peer could send them for
 * free). Here the only limit is `maxFrameBytes`, a frame's length is checked as soon as its prefix is
 * read, and an empty frame is an error.
 *
 * Memory held is what arrived of one frame, copied into one buffer that grows by doubling as bytes arrive
 * (capped at the announced length: nothing is allocated on a length claim alone), never one object per
 * piece: yamux delivers one event per data frame and the sender chooses how small those are, so a frame
 * sent in one-byte pieces would otherwise cost us an object (and a call) per byte. Pieces are also counted:
 * a peer whose frame arrives in pieces far smaller than an honest sender's (yamux sends up to 64 KiB at a
 * time) is refused.
 */
export class FrameError extends Error {
  override name = "FrameError";
}

/** A varint length prefix is at most this long (enough for any safe integer, far more than any frame). */
const MAX_PREFIX_BYTES = 8;
/** Pieces a frame may take whatever its size (a small frame may come in a few). */
export const CHUNKS_PER_FRAME_SLACK = 64;
/**
 * On top of the slack, one piece per this many bytes of the frame received so far. An honest libp2p sender
 * sends yamux data frames of up to 64 KiB, so its average is far above this; one of 1 KiB costs the sender
 * 13 bytes of yamux header per piece, where one-byte pieces cost it 13 times the data.
 */
export const MIN_AVERAGE_CHUNK_BYTES = 1024;
/** First allocation for a frame's bytes (or the frame's length, if smaller); doubled as more arrives. */
const INITIAL_BUFFER_BYTES = 4096;

export interface FrameDecoderOptions {
  /** Overrides MIN_AVERAGE_CHUNK_BYTES (0: no piece limit; tests of other things only). */
  minAverageChunkBytes?: number;
}

export class FrameDecoder {
  private readonly maxFrameBytes: number;
  private readonly minAverageChunkBytes: number;
  /** The current frame's length prefix read so far (its value, and how many bytes of it). */
  private prefixValue = 0;
  private prefixBytes = 0;
  /** The current frame's announced length, once its prefix is complete. */
  private length: number | undefined;
  /** The bytes of the current frame received so far: buffer[0, received). */
  private buffer = new Uint8Array(0);
  private received = 0;
  /** Pieces (decode calls) since the last completed frame, and the frame bytes among them. */
  private pieces = 0;
  private pieceBytes = 0;

  constructor(maxFrameBytes: number, opts: FrameDecoderOptions = {}) {
    this.maxFrameBytes = maxFrameBytes;
    this.minAverageChunkBytes = opts.minAverageChunkBytes ?? MIN_AVERAGE_CHUNK_BYTES;
  }

  /** Whether a frame is under way: some of its length prefix or of its bytes has come, not all of it. */
  get inFrame(): boolean {
    return this.length !== undefined || this.prefixBytes > 0;
  }

  /** Bytes held for the frame under way (its buffer, which grows as its bytes arrive): 0 between frames. */
  get heldBytes(): number {
    return this.buffer.byteLength;
  }

  /** Bytes of the frame under way received so far (its prefix not counted). */
  get frameBytesReceived(): number {
    return this.received;
  }

  /**
   * Takes the next piece of the stream (a Uint8Array, or a list of them such as a Uint8ArrayList: one
   * delivery either way); yields every frame it completes. Throws FrameError on a bad frame, or when the
   * frame under way has come in too many pieces for its bytes.
   */
  * decode(data: Uint8Array | Iterable<Uint8Array>): Generator<Uint8Array> {
    this.pieces++;
    for (const chunk of data instanceof Uint8Array ? [data] : data) yield* this.decodeChunk(chunk);
    const allowed = CHUNKS_PER_FRAME_SLACK + this.pieceBytes / this.minAverageChunkBytes;
    if (this.minAverageChunkBytes > 0 && this.pieces > allowed) {
      throw new FrameError(
        `frame sent in ${this.pieces} pieces for ${this.pieceBytes} bytes` +
        ` (more than ${CHUNKS_PER_FRAME_SLACK} plus one per ${this.minAverageChunkBytes} bytes)`,
      );
    }
  }

  private* decodeChunk(chunk: Uint8Array): Generator<Uint8Array> {
    let at = 0;
    while (at < chunk.byteLength) {
      if (this.length === undefined) {
        const b = chunk[at++];
        this.pieceBytes++;
        this.prefixValue += (b & 0x7f) * 128 ** this.prefixBytes++;
        if (b >= 0x80) {
          if (this.prefixBytes >= MAX_PREFIX_BYTES) throw new FrameError("frame length prefix is too long");
          continue;
        }
        const length = this.prefixValue;
        this.prefixValue = 0;
        this.prefixBytes = 0;
        if (length === 0) throw new FrameError("empty frame");
        if (length > this.maxFrameBytes) {
          throw new FrameError(`frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`);
        }
        this.length = length;
        continue;
      }
      const take = Math.min(this.length - this.received, chunk.byteLength - at);
      this.reserve(this.received + take);
      this.buffer.set(chunk.subarray(at, at + take), this.received);
      this.received += take;
      this.pieceBytes += take;
      at += take;
      if (this.received === this.length) {
        const frame = this.buffer; // exactly `length` long: growth is capped there
        this.buffer = new Uint8Array(0);
        this.received = 0;
        this.length = undefined;
        this.pieces = 0;
        this.pieceBytes = 0;
        yield frame;
      }
    }
  }

  /** Makes the buffer hold at least `bytes`: doubling, never past the frame's announced length. */
  private reserve(bytes: number): void {
    if (bytes <= this.buffer.byteLength) return;
    const length = this.length as number;
    const size = Math.min(length, Math.max(bytes, INITIAL_BUFFER_BYTES, 2 * this.buffer.byteLength));
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.received));
    this.buffer = grown;
  }
}

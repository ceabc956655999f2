/**
 * Splits a gossip stream's bytes into frames of [varint length][message]. Written here rather than taken
 * from @libp2p/utils: its LengthPrefixedDecoder caps its buffer at 4 MiB whatever the frame limit (so a
 * block over 4 MiB never crossed) and silently skips zero-length frames (so a peer could send them for
 * free). Here the only limit is `maxFrameBytes`, a frame's length is checked as soon as its prefix is
 * read, and an empty frame is an error. Memory held is what arrived of one frame, never more than its
 * announced length (nothing is allocated on a length claim alone).
 */
export class FrameError extends Error {
  override name = "FrameError";
}

/** A varint length prefix is at most this long (enough for any safe integer, far more than any frame). */
const MAX_PREFIX_BYTES = 8;

export class FrameDecoder {
  private readonly maxFrameBytes: number;
  /** Bytes of the current frame's length prefix read so far. */
  private prefix: number[] = [];
  /** The current frame's announced length, once its prefix is complete. */
  private length: number | undefined;
  private parts: Uint8Array[] = [];
  private received = 0;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * Takes the next bytes of the stream (a Uint8Array, or a list of them such as a Uint8ArrayList); yields
   * every frame they complete. Throws FrameError on a bad frame.
   */
  * decode(data: Uint8Array | Iterable<Uint8Array>): Generator<Uint8Array> {
    for (const chunk of data instanceof Uint8Array ? [data] : data) yield* this.decodeChunk(chunk);
  }

  private* decodeChunk(chunk: Uint8Array): Generator<Uint8Array> {
    let at = 0;
    while (at < chunk.byteLength) {
      if (this.length === undefined) {
        const b = chunk[at++];
        this.prefix.push(b);
        if (b >= 0x80) {
          if (this.prefix.length >= MAX_PREFIX_BYTES) throw new FrameError("frame length prefix is too long");
          continue;
        }
        const length = this.prefix.reduce((v, byte, i) => v + (byte & 0x7f) * 128 ** i, 0);
        this.prefix = [];
        if (length === 0) throw new FrameError("empty frame");
        if (length > this.maxFrameBytes) {
          throw new FrameError(`frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`);
        }
        this.length = length;
        continue;
      }
      const take = Math.min(this.length - this.received, chunk.byteLength - at);
      this.parts.push(chunk.subarray(at, at + take));
      this.received += take;
      at += take;
      if (this.received === this.length) {
        const frame = new Uint8Array(this.length);
        let offset = 0;
        for (const p of this.parts) {
          frame.set(p, offset);
          offset += p.byteLength;
        }
        this.parts = [];
        this.received = 0;
        this.length = undefined;
        yield frame;
      }
    }
  }
}

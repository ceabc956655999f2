/** Entries are packed into chunks of up to this size: one allocation per 64 KiB instead of one or two per entry. */
const CHUNK_BYTES = 64 * 1024;
/** The first chunk's size; each next one doubles, up to CHUNK_BYTES (a small block's candidate stays small). */
const FIRST_CHUNK_BYTES = 4 * 1024;

/**
 * An append-only list of short byte strings packed into shared chunks, each entry written in place by its
 * producer. A block's tree candidate keeps its new node records and replaced node keys here from the build
 * until the commit, which on a loaded node is hundreds of milliseconds: held as an array or two per entry,
 * they outlived V8's young-generation collections and were copied to the old space (a block that creates
 * accounts makes about four new nodes and five stale keys per tx), where they cost the full collections'
 * work. Here they are a few chunks and two small-integer arrays.
 */
export class PackedBytes {
  private readonly chunks: Uint8Array[] = [];
  private chunk = new Uint8Array(0);
  private fill = 0;
  /** Entry i is in chunks[chunkOf[i]] at starts[i], lengths[i] bytes long. */
  private readonly chunkOf: number[] = [];
  private readonly starts: number[] = [];
  private readonly lengths: number[] = [];

  get length(): number {
    return this.starts.length;
  }

  /**
   * The chunk to write the next entry into, from `this.at`, with room for `max` bytes (at most a chunk);
   * `end` then records how many were written.
   */
  begin(max: number): Uint8Array {
    if (max > CHUNK_BYTES) throw new Error(`a packed entry of up to ${max} bytes exceeds the ${CHUNK_BYTES}-byte chunk`);
    if (this.fill + max > this.chunk.byteLength) {
      const size = this.chunks.length === 0 ? FIRST_CHUNK_BYTES : Math.min(CHUNK_BYTES, 2 * this.chunk.byteLength);
      this.chunk = new Uint8Array(Math.max(size, max));
      this.chunks.push(this.chunk);
      this.fill = 0;
    }
    return this.chunk;
  }

  /** Where `begin`'s chunk is to be written from. */
  get at(): number {
    return this.fill;
  }

  /** Ends the entry begun at `at`: its last byte is before `end`. */
  end(end: number): void {
    this.chunkOf.push(this.chunks.length - 1);
    this.starts.push(this.fill);
    this.lengths.push(end - this.fill);
    this.fill = end;
  }

  /** Entry i: a view into its chunk (entries are never written over). */
  get(i: number): Uint8Array {
    const start = this.starts[i];
    return this.chunks[this.chunkOf[i]].subarray(start, start + this.lengths[i]);
  }

  /** Every entry, as views. */
  all(): Uint8Array[] {
    const out: Uint8Array[] = new Array(this.length);
    for (let i = 0; i < out.length; i++) out[i] = this.get(i);
    return out;
  }
}

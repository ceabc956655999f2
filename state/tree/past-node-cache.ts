import { decodeNode, type InternalNode, MAX_NODE_KEY_BYTES } from "./node-codec.ts";

/**
 * What one entry costs besides its record bytes and key id: the Map slot (key, value, chain link and bucket,
 * with the table's slack) and the id string's header. An estimate from V8's object layout; the bound counts
 * estimates, not the heap itself.
 */
export const PAST_ENTRY_OVERHEAD_BYTES = 64;
/** Records are packed into chunks of this size: one allocation per 64 KiB instead of one per node. */
const CHUNK_BYTES = 64 * 1024;
/** A node record is at most two leaf refs (146 bytes): its length fits the one byte stored before it. */
const MAX_RECORD_BYTES = 255;

/**
 * One generation: records packed in chunks, found by id as (chunk << 16 | offset), a small integer. Its bytes
 * count each chunk whole from when it is started (the memory really taken) plus each entry's overhead and id.
 */
class Generation {
  readonly ids = new Map<string, number>();
  readonly chunks: Uint8Array[] = [];
  private fill = CHUNK_BYTES;
  bytes = 0;

  /** What adding this record would count. */
  cost(id: string, record: Uint8Array): number {
    const newChunk = this.fill + 1 + record.byteLength > CHUNK_BYTES ? CHUNK_BYTES : 0;
    return newChunk + PAST_ENTRY_OVERHEAD_BYTES + id.length;
  }

  add(id: string, record: Uint8Array): void {
    this.bytes += this.cost(id, record);
    if (this.fill + 1 + record.byteLength > CHUNK_BYTES) {
      this.chunks.push(new Uint8Array(CHUNK_BYTES));
      this.fill = 0;
    }
    const chunk = this.chunks.length - 1;
    this.chunks[chunk][this.fill] = record.byteLength;
    this.chunks[chunk].set(record, this.fill + 1);
    this.ids.set(id, (chunk << 16) | this.fill);
    this.fill += 1 + record.byteLength;
  }

  /** The record of `id`: a view into its chunk (chunks are never written over, only dropped). */
  record(id: string): Uint8Array | undefined {
    const at = this.ids.get(id);
    if (at === undefined) return undefined;
    const chunk = this.chunks[at >>> 16];
    const offset = at & 0xffff;
    return chunk.subarray(offset + 1, offset + 1 + chunk[offset]);
  }
}

/**
 * Tree node records packed in shared chunks (~180 bytes a node), each decoded when it is asked for: where
 * what matters is how many nodes fit in the bound, not what a hit costs. Two users: the proofs below the
 * latest height (PastNodeReader: past heights' nodes are read once per proof and rarely again soon), and the
 * latest tree's hot cache for its deeper levels (NodeCache: a block meets each of those about once), where
 * a decoded node would be ~820 bytes of JS objects that every full GC marks. Only records already checked
 * against the hash their parent names, or just built, are added. Two generations as in ByteBoundedCache: a
 * hit in the old one is copied to the young one; when the young one holds half the bound, the old one is
 * dropped whole (its chunks with it).
 */
export class PastNodeCache {
  readonly maxBytes: number;
  private young = new Generation();
  private old = new Generation();

  constructor(maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new Error(`cache bound must be bytes, got ${maxBytes}`);
    this.maxBytes = maxBytes;
  }

  /** Whether a bound this small can hold any record (half of it must fit a chunk and an entry; an id is a node key's bytes). */
  get holdsRecords(): boolean {
    return CHUNK_BYTES + PAST_ENTRY_OVERHEAD_BYTES + MAX_NODE_KEY_BYTES <= this.maxBytes / 2;
  }

  /** The estimated bytes held now, chunks counted whole (never above maxBytes). */
  get bytes(): number {
    return this.young.bytes + this.old.bytes;
  }

  get size(): number {
    return this.young.ids.size + this.old.ids.size;
  }

  /**
   * The node of `id`, its fields copied out of the record (so that what it is kept in never pins a chunk): a
   * few 32-byte arrays on V8's heap, where a copy of the whole record would be an ArrayBuffer of its own.
   */
  get(id: string): InternalNode | undefined {
    const young = this.young.record(id);
    if (young !== undefined) return decodeNode(young, true);
    const old = this.old.record(id);
    if (old === undefined) return undefined;
    this.add(id, old);
    return decodeNode(old, true);
  }

  /** The node of `id` like get, but a hit in the old generation stays there (a reader that does not own the cache). */
  peek(id: string): InternalNode | undefined {
    const record = this.young.record(id) ?? this.old.record(id);
    return record === undefined ? undefined : decodeNode(record, true);
  }

  /**
   * Holds a checked node record. Callers add what they have just missed (or just built), so the young
   * generation is not asked first: a Map probe per added node was ~1.5% of a new-accounts node's main thread.
   * An id added twice (by a caller that sets an id it did not just miss) keeps its later copy: a key's node
   * never changes, and the first copy's bytes stay counted until its generation is dropped, so the bound holds.
   */
  set(id: string, record: Uint8Array): void {
    if (record.byteLength > MAX_RECORD_BYTES) return;
    this.add(id, record);
  }

  private add(id: string, record: Uint8Array): void {
    const half = this.maxBytes / 2;
    if (CHUNK_BYTES + PAST_ENTRY_OVERHEAD_BYTES + id.length > half) return; // a bound this small holds nothing
    if (this.young.bytes + this.young.cost(id, record) > half) {
      this.old = this.young;
      this.young = new Generation();
    }
    this.young.add(id, record);
  }
}

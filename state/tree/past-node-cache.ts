import { decodeNode, type InternalNode, MAX_NODE_KEY_BYTES, MAX_NODE_RECORD_BYTES } from "./node-codec.ts";

/**
 * Records are packed into chunks of this size: one allocation per 64 KiB instead of one per node. An id (at
 * most MAX_NODE_KEY_BYTES) and a record (at most MAX_NODE_RECORD_BYTES) each fit the one length byte before it.
 */
export const PACKED_CHUNK_BYTES = 64 * 1024;
/** Chunks a generation may start: a place (chunk << 16 | offset) + 1 must fit a table slot (32 bits). */
const MAX_CHUNKS = 0xffff;
/** A generation's first table (made with its first entry): slots for 512 entries at half load. */
export const FIRST_TABLE_SLOTS = 1024;
const FIRST_TABLE_BYTES = FIRST_TABLE_SLOTS * 4;
/** An empty generation's table: none (an unused generation takes no memory). */
const NO_SLOTS = new Uint32Array(0);

/** FNV-1a over an id's units (latin1: each one byte): where its entry is looked for in a generation's table. */
function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** hashId of the id stored as `length` bytes of `chunk` from `at` (the table's doubling places entries again). */
function hashBytes(chunk: Uint8Array, at: number, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ chunk[at + i], 0x01000193);
  return h >>> 0;
}

/**
 * One generation: each entry is its id's bytes and its record, each after a length byte, packed in chunks,
 * and found through an open-addressing table of places ((chunk << 16 | offset) + 1; 0 is an empty slot). So
 * the generation is a few dozen arrays however many nodes it holds: nothing per node for the garbage
 * collector to mark (a Map of id strings was ~264,000 strings, a quarter of a new-accounts node's heap
 * objects, marked again by every full GC). Its bytes are exactly its arrays': each chunk whole from when it
 * is started, and the table.
 */
class Generation {
  readonly chunks: Uint8Array[] = [];
  private fill = PACKED_CHUNK_BYTES;
  private slots = NO_SLOTS;
  size = 0;
  bytes = 0;

  /**
   * What adding this record would add to `bytes` (a new chunk, the table's doubling), or undefined if this
   * generation can take no more chunks.
   */
  cost(id: string, record: Uint8Array): number | undefined {
    const needsChunk = this.fill + 2 + id.length + record.byteLength > PACKED_CHUNK_BYTES;
    if (needsChunk && this.chunks.length >= MAX_CHUNKS) return undefined;
    let table = 0; // the first table, or the doubling of the table
    if (this.slots.length === 0) table = FIRST_TABLE_BYTES;
    else if (2 * (this.size + 1) > this.slots.length) table = this.slots.byteLength;
    return (needsChunk ? PACKED_CHUNK_BYTES : 0) + table;
  }

  /** Adds (or replaces) the record of `id` (`hash`: hashId(id)); the caller checked that cost() is defined. */
  add(id: string, hash: number, record: Uint8Array): void {
    if (this.slots.length === 0) {
      this.slots = new Uint32Array(FIRST_TABLE_SLOTS);
      this.bytes += FIRST_TABLE_BYTES;
    }
    const entryBytes = 2 + id.length + record.byteLength;
    if (this.fill + entryBytes > PACKED_CHUNK_BYTES) {
      this.chunks.push(new Uint8Array(PACKED_CHUNK_BYTES));
      this.bytes += PACKED_CHUNK_BYTES;
      this.fill = 0;
    }
    const chunkIndex = this.chunks.length - 1;
    const chunk = this.chunks[chunkIndex];
    let at = this.fill;
    chunk[at++] = id.length;
    for (let i = 0; i < id.length; i++) chunk[at++] = id.charCodeAt(i);
    chunk[at++] = record.byteLength;
    chunk.set(record, at);
    const place = (chunkIndex << 16) | this.fill;
    this.fill += entryBytes;
    const slot = this.slotOf(id, hash);
    if (this.slots[slot] === 0) {
      this.size++;
      if (2 * this.size > this.slots.length) {
        this.grow();
        this.slots[this.slotOf(id, hash)] = place + 1;
        return;
      }
    }
    this.slots[slot] = place + 1; // a replaced entry's old copy stays in its chunk, counted, until the drop
  }

  /** The record of `id` (`hash`: hashId(id)): a view into its chunk (chunks are never written over, only dropped). */
  record(id: string, hash: number): Uint8Array | undefined {
    if (this.size === 0) return undefined;
    const stored = this.slots[this.slotOf(id, hash)];
    if (stored === 0) return undefined;
    const chunk = this.chunks[(stored - 1) >>> 16];
    const at = ((stored - 1) & 0xffff) + 1 + id.length;
    return chunk.subarray(at + 1, at + 1 + chunk[at]);
  }

  /** The slot that holds `id`, or the empty slot where it would go. */
  private slotOf(id: string, hash: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const stored = this.slots[slot];
      if (stored === 0 || this.holds(stored - 1, id)) return slot;
    }
  }

  /** Whether the entry at `place` is the one of `id`. */
  private holds(place: number, id: string): boolean {
    const chunk = this.chunks[place >>> 16];
    let at = place & 0xffff;
    if (chunk[at++] !== id.length) return false;
    for (let i = 0; i < id.length; i++) if (chunk[at + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  /** Doubles the table, placing each entry again by the id bytes stored with it. */
  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.bytes += old.byteLength;
    const mask = this.slots.length - 1;
    for (let i = 0; i < old.length; i++) {
      const stored = old[i];
      if (stored === 0) continue;
      const chunk = this.chunks[(stored - 1) >>> 16];
      const at = (stored - 1) & 0xffff;
      let slot = hashBytes(chunk, at + 1, chunk[at]) & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = stored;
    }
  }
}

/**
 * Tree node records packed in shared chunks (~190 bytes a node with its id), each decoded when it is asked for
 * (or read in place: `record`, for a lookup): where what matters is how many nodes fit in the bound, not what a
 * hit costs. Two users: the proofs below the
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

  /** Whether a bound this small can hold any record (half of it must fit a first table and a chunk). */
  get holdsRecords(): boolean {
    return FIRST_TABLE_BYTES + PACKED_CHUNK_BYTES <= this.maxBytes / 2;
  }

  /** The bytes held now: the generations' chunks (counted whole) and tables (never above maxBytes). */
  get bytes(): number {
    return this.young.bytes + this.old.bytes;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  /**
   * The node of `id`, its fields copied out of the record (so that what it is kept in never pins a chunk): a
   * few 32-byte arrays on V8's heap, where a copy of the whole record would be an ArrayBuffer of its own.
   */
  get(id: string): InternalNode | undefined {
    const record = this.record(id);
    return record === undefined ? undefined : decodeNode(record, true);
  }

  /**
   * The record of `id` as get finds it (a hit in the old generation is copied to the young one), not decoded:
   * a view into its chunk, for a reader that walks it and keeps nothing of it (VersionedTree.lookup).
   */
  record(id: string): Uint8Array | undefined {
    const hash = hashId(id); // once for both generations (and the copy of an old one's hit)
    const young = this.young.record(id, hash);
    if (young !== undefined) return young;
    const old = this.old.record(id, hash);
    if (old === undefined) return undefined;
    this.add(id, hash, old);
    return old;
  }

  /** The node of `id` like get, but a hit in the old generation stays there (a reader that does not own the cache). */
  peek(id: string): InternalNode | undefined {
    const hash = hashId(id);
    const record = this.young.record(id, hash) ?? this.old.record(id, hash);
    return record === undefined ? undefined : decodeNode(record, true);
  }

  /**
   * Holds a checked node record. Callers add what they have just missed (or just built), so the young
   * generation is not asked first: a Map probe per added node was ~1.5% of a new-accounts node's main thread.
   * An id added twice (by a caller that sets an id it did not just miss) keeps its later copy: a key's node
   * never changes, and the first copy's bytes stay counted until its generation is dropped, so the bound holds.
   */
  set(id: string, record: Uint8Array): void {
    if (record.byteLength > MAX_NODE_RECORD_BYTES || id.length > MAX_NODE_KEY_BYTES) return; // not a node's: not held
    this.add(id, hashId(id), record);
  }

  private add(id: string, hash: number, record: Uint8Array): void {
    if (!this.holdsRecords) return; // a bound this small holds nothing
    const half = this.maxBytes / 2;
    const cost = this.young.cost(id, record);
    if (cost === undefined || this.young.bytes + cost > half) {
      this.old = this.young;
      this.young = new Generation(); // its first table and chunk fit: holdsRecords
    }
    this.young.add(id, hash, record);
  }
}

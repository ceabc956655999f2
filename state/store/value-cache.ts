import type { RecordCodec } from "../view.ts";

/**
 * The default bound of the latest-value cache (`[state] value_cache_bytes`): the hot accounts of a busy chain
 * (a block of 10,000 transfers touches ~20,000 keys) stay decoded in memory many times over, while the node's
 * heap stays far below the 300 MB a node with millions of accounts must fit in.
 */
export const DEFAULT_VALUE_CACHE_BYTES = 64 * 1024 * 1024;
/** The least `[state] value_cache_bytes` accepted: below it a block's own accounts would not stay cached. */
export const MIN_VALUE_CACHE_BYTES = 1024 * 1024;

/**
 * What one cached entry costs besides its key and value bytes: the Map slot, the entry object and the
 * Uint8Array that holds the value (an estimate from V8's object sizes, not measured: a Uint8Array alone is
 * ~100 bytes of heap). The bound counts estimates; the heap it stands for may differ by their error.
 */
export const ENTRY_OVERHEAD_BYTES = 200;
/** A decoded record (an account: an object with a bigint and a number) costs about this much more. */
export const RECORD_OVERHEAD_BYTES = 120;

/** A latest value (undefined: known absent) with its decoding once a reader asked for it by a codec. */
export interface CachedValue {
  value: Uint8Array | undefined;
  codec?: RecordCodec<unknown>;
  record?: unknown;
  /** What this entry is counted as (entryBytes), kept so that removing it subtracts the same. */
  bytes: number;
}

/** The estimate a cache entry is counted as: its key id (2 bytes a UTF-16 unit), value and record. */
export function entryBytes(id: string, value: Uint8Array | undefined, hasRecord: boolean): number {
  return ENTRY_OVERHEAD_BYTES + 2 * id.length + (value?.byteLength ?? 0) +
    (hasRecord ? RECORD_OVERHEAD_BYTES + 2 * (value?.byteLength ?? 0) : 0);
}

/**
 * A cache bounded in bytes, in two generations: hits land in (or are moved to) the young one; when the young
 * one holds half the bound, it becomes the old one and the old one is dropped. What was read or written in
 * the last half-bound of traffic stays; the rest goes, a block's worth at a time. A hit in the young
 * generation, the common case of execution, is one Map lookup, as a plain Map was before; an LRU list would
 * add a relink per read.
 */
export class ByteBoundedCache {
  readonly maxBytes: number;
  private young = new Map<string, CachedValue>();
  private old = new Map<string, CachedValue>();
  private youngBytes = 0;
  private oldBytes = 0;

  constructor(maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new Error(`cache bound must be bytes, got ${maxBytes}`);
    this.maxBytes = maxBytes;
  }

  /** Bytes counted for all entries held (at most maxBytes). */
  get bytes(): number {
    return this.youngBytes + this.oldBytes;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(id: string): CachedValue | undefined {
    const hit = this.young.get(id);
    if (hit !== undefined) return hit;
    const old = this.old.get(id);
    if (old === undefined) return undefined;
    this.old.delete(id);
    this.oldBytes -= old.bytes;
    this.addYoung(id, old);
    return old;
  }

  /** Holds `entry` for `id` (replacing what was held), counted as entryBytes. */
  set(id: string, value: Uint8Array | undefined, codec?: RecordCodec<unknown>, record?: unknown): CachedValue {
    this.delete(id);
    const entry: CachedValue = { value, codec, record, bytes: entryBytes(id, value, codec !== undefined) };
    this.addYoung(id, entry);
    return entry;
  }

  /** Attaches a decoding to an entry just returned by get (so held in the young generation). */
  setRecord(id: string, entry: CachedValue, codec: RecordCodec<unknown>, record: unknown): void {
    entry.codec = codec;
    entry.record = record;
    const bytes = entryBytes(id, entry.value, true);
    if (this.young.get(id) === entry) {
      this.youngBytes += bytes - entry.bytes;
      entry.bytes = bytes;
      this.rotateIfFull();
    }
  }

  delete(id: string): void {
    const y = this.young.get(id);
    if (y !== undefined) {
      this.young.delete(id);
      this.youngBytes -= y.bytes;
    }
    const o = this.old.get(id);
    if (o !== undefined) {
      this.old.delete(id);
      this.oldBytes -= o.bytes;
    }
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.youngBytes = 0;
    this.oldBytes = 0;
  }

  private addYoung(id: string, entry: CachedValue): void {
    // An entry above half the bound would not fit a generation: it is not held at all.
    if (entry.bytes > this.maxBytes / 2) return;
    if (this.youngBytes + entry.bytes > this.maxBytes / 2) this.rotate();
    this.young.set(id, entry);
    this.youngBytes += entry.bytes;
  }

  private rotateIfFull(): void {
    if (this.youngBytes > this.maxBytes / 2) this.rotate();
  }

  private rotate(): void {
    this.old = this.young;
    this.oldBytes = this.youngBytes;
    this.young = new Map();
    this.youngBytes = 0;
  }
}

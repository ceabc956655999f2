import { equalBytes } from "../../crypto/bytes.ts";
import { treePath, valueHash } from "../smt.ts";
import type { RecordCodec, StateWrite } from "../view.ts";
import { keyId } from "../view.ts";
import { ByteBoundedCache, DEFAULT_VALUE_CACHE_BYTES } from "./value-cache.ts";
import { stateValueDamaged } from "./value-damage.ts";

/**
 * Where latest values live when they are not cached: the database's latest-value bucket as of the last
 * applied block (ChainDb.latestValues), read synchronously so execution stays synchronous.
 */
export interface LatestValueSource {
  /** The value at `key` as of the pinned view, or undefined if absent. */
  read(key: Uint8Array): Uint8Array | undefined;
  /** Every [key, value] whose key starts with `prefix`, in key order, as of the pinned view. */
  readPrefix(prefix: Uint8Array): Promise<[Uint8Array, Uint8Array][]>;
  /** Moves the pinned view to what the database holds now (called right after a block's batch is on disk). */
  advance(): void;
  /** Lets the pinned view go (a LevelDB snapshot keeps the versions it sees from compaction). */
  close(): void;
}

/** Nothing on disk (a state built in memory, e.g. by tests of the state machine). */
export const NO_SOURCE: LatestValueSource = {
  read: () => undefined,
  readPrefix: async () => [],
  advance: () => {},
  close: () => {},
};

/** The value hash the state tree holds at a path (undefined: no leaf there). */
export type LeafLookup = (path: Uint8Array) => Uint8Array | undefined;

/**
 * The latest values, off the heap: a byte-bounded cache (decoded records included) in front of the database.
 * A value that comes from disk is checked against the state tree's leaf for its key before anyone sees it,
 * so a damaged value is refused on its first read, as the full rebuild at start-up used to refuse it.
 */
export class LatestValues {
  private readonly cache: ByteBoundedCache;
  private readonly source: LatestValueSource;
  private readonly leaf: LeafLookup;
  /** Values read from disk (cache misses) since start: for tests and benches. */
  diskReads = 0;

  constructor(source: LatestValueSource, leaf: LeafLookup, cacheBytes = DEFAULT_VALUE_CACHE_BYTES) {
    this.source = source;
    this.leaf = leaf;
    this.cache = new ByteBoundedCache(cacheBytes);
  }

  get cacheBytes(): number {
    return this.cache.bytes;
  }

  get cacheEntries(): number {
    return this.cache.size;
  }

  get(id: string, key: Uint8Array): Uint8Array | undefined {
    return this.entry(id, key).value;
  }

  /** The value decoded by `codec`, decoded once while it stays cached (RecordCodec). */
  getRecord<T>(id: string, key: Uint8Array, codec: RecordCodec<T>): T | undefined {
    const entry = this.entry(id, key);
    if (entry.value === undefined) return undefined;
    if (entry.codec === codec) return entry.record as T;
    const record = codec.decode(entry.value);
    this.cache.setRecord(id, entry, codec as RecordCodec<unknown>, record);
    return record;
  }

  /** Every entry under `prefix`, from the database (an async pass at start-up), each checked like a read. */
  async withPrefix(prefix: Uint8Array): Promise<[Uint8Array, Uint8Array][]> {
    const entries = await this.source.readPrefix(prefix);
    for (const [key, value] of entries) this.verify(key, value);
    return entries;
  }

  /** Makes committed writes current (their batch is on disk): cached as written, the disk view moved on. */
  apply(writes: readonly StateWrite[]): void {
    for (const w of writes) this.cache.set(keyId(w.key), w.value, w.codec, w.record);
    this.source.advance();
  }

  private entry(id: string, key: Uint8Array) {
    const hit = this.cache.get(id);
    if (hit !== undefined) return hit;
    // The tree first: a key it does not hold is absent, without a disk read (a transfer to a new account
    // reads one); a key it holds must be on disk with exactly that hash.
    const leaf = this.leaf(treePath(key));
    if (leaf === undefined) return this.cache.set(id, undefined);
    const value = this.source.read(key);
    this.diskReads++;
    this.check(key, value, leaf);
    return this.cache.set(id, value);
  }

  /** Refuses a value from disk that is not the one the tree holds for its key (absent must be absent). */
  private verify(key: Uint8Array, value: Uint8Array | undefined): void {
    this.check(key, value, this.leaf(treePath(key)));
  }

  private check(key: Uint8Array, value: Uint8Array | undefined, leaf: Uint8Array | undefined): void {
    if (value === undefined) {
      if (leaf !== undefined) throw stateValueDamaged(key, "is missing, though the state tree holds it");
      return;
    }
    if (leaf === undefined) throw stateValueDamaged(key, "is present, though the state tree has no such key");
    if (!equalBytes(valueHash(value), leaf)) throw stateValueDamaged(key, "does not hash to the state tree's leaf");
  }
}

import { SparseMerkleTree, type TreeUpdate, treePath, valueHash } from "../smt.ts";
import { keyId, type RecordCodec, type StateReader, type StateWrite } from "../view.ts";
import type { ChainDb } from "./chain-db.ts";
import { type LatestValueSource, LatestValues, NO_SOURCE } from "./latest-values.ts";
import { DEFAULT_VALUE_CACHE_BYTES } from "./value-cache.ts";

/**
 * The current version of the state: the latest values (state/store/latest-values.ts: a byte-bounded cache of
 * decoded records in front of the database's latest-value bucket, each value read from disk checked against
 * the tree) and the state tree over them. Changed only by `apply`, right after the block's batch is on disk.
 */
export class LatestState implements StateReader {
  private readonly values: LatestValues;
  private tree = SparseMerkleTree.empty();

  /** A state over `source` (default: nothing on disk, every value held in memory as applied). */
  constructor(source: LatestValueSource = NO_SOURCE, cacheBytes = DEFAULT_VALUE_CACHE_BYTES) {
    this.values = new LatestValues(source, (path) => this.tree.lookup(path), cacheBytes);
  }

  static async load(db: ChainDb, cacheBytes = DEFAULT_VALUE_CACHE_BYTES): Promise<LatestState> {
    const state = new LatestState(db.latestValues(), cacheBytes);
    const entries: { path: Uint8Array; valueHash: Uint8Array }[] = [];
    for await (const [key, value] of db.latestState()) {
      entries.push({ path: treePath(key), valueHash: valueHash(value) });
    }
    state.tree = SparseMerkleTree.fromEntries(entries);
    return state;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.values.get(keyId(key), key);
  }

  getId(id: string, key: Uint8Array): Uint8Array | undefined {
    return this.values.get(id, key);
  }

  /**
   * The value decoded by `codec`, decoded once per committed value while it stays cached: blocks and the
   * mempool read the same accounts again and again. A new value (apply) never meets an old decoding.
   */
  getRecordId<T>(id: string, key: Uint8Array, codec: RecordCodec<T>): T | undefined {
    return this.values.getRecord(id, key, codec);
  }

  /** Every entry whose key starts with `prefix`, in key order: a prefix pass over the database (start-up). */
  withPrefix(prefix: Uint8Array): Promise<[Uint8Array, Uint8Array][]> {
    return this.values.withPrefix(prefix);
  }

  /** The latest values' cache and disk reads (for benches and tests). */
  get valueStats(): { cacheBytes: number; cacheEntries: number; diskReads: number } {
    const v = this.values;
    return { cacheBytes: v.cacheBytes, cacheEntries: v.cacheEntries, diskReads: v.diskReads };
  }

  get rootHash(): Uint8Array {
    return this.tree.rootHash;
  }

  /** The tree the writes would produce; nothing changes until `apply` is called with it. */
  treeWith(writes: readonly StateWrite[]): SparseMerkleTree {
    const updates: TreeUpdate[] = writes.map((w) => ({
      path: treePath(w.key),
      valueHash: w.value === undefined ? null : valueHash(w.value),
    }));
    return this.tree.apply(updates);
  }

  /** Makes committed writes current. `tree` is the result of `treeWith(writes)` when the caller has it. */
  apply(writes: readonly StateWrite[], tree?: SparseMerkleTree): void {
    this.tree = tree ?? this.treeWith(writes);
    this.values.apply(writes);
  }
}

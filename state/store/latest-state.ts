import { type TreeUpdate, treePath, valueHash } from "../smt.ts";
import { MemoryNodeStore } from "../tree/memory-store.ts";
import { NodeCache } from "../tree/node-cache.ts";
import { NodeReader } from "../tree/node-reader.ts";
import { type TreeCandidate, type TreePut, VersionedTree } from "../tree/versioned-tree.ts";
import { concatBytes } from "../../crypto/bytes.ts";
import { historyKey } from "./buckets.ts";
import { keyId, type RecordCodec, type StateReader, type StateWrite } from "../view.ts";
import type { ChainDb } from "./chain-db.ts";
import { type LatestValueSource, LatestValues, NO_SOURCE } from "./latest-values.ts";
import { DEFAULT_VALUE_CACHE_BYTES } from "./value-cache.ts";

/** What LatestState.load keeps in memory, in bytes (`[state] cache_bytes` and `value_cache_bytes`). */
export interface LatestStateCaches {
  treeCacheBytes?: number;
  valueCacheBytes?: number;
}

/**
 * The current version of the state, off the heap: the latest values (state/store/latest-values.ts: a
 * byte-bounded cache of decoded records in front of the database's latest-value bucket, each value read from
 * disk checked against the tree) and the state tree over them, whose nodes live in the database
 * (state/tree/) behind a byte-bounded hot-node cache. Start-up reads the latest height's root: nothing is
 * rebuilt or loaded. Afterwards changed only by `apply`, right after the block's batch (which carries the
 * tree's new nodes and the values) is on disk. Without a database (tests, tools), the tree's records are kept
 * in a Map and every value in the cache.
 */
export class LatestState implements StateReader {
  private readonly values: LatestValues;
  private tree: VersionedTree;
  private readonly memory: MemoryNodeStore | undefined;

  constructor(
    tree?: VersionedTree,
    source: LatestValueSource = NO_SOURCE,
    valueCacheBytes = DEFAULT_VALUE_CACHE_BYTES,
  ) {
    if (tree === undefined) {
      this.memory = new MemoryNodeStore();
      tree = new VersionedTree(new NodeReader(this.memory), 0, null);
    }
    this.tree = tree;
    this.values = new LatestValues(source, (path) => this.tree.lookup(path), valueCacheBytes);
  }

  static async load(db: ChainDb, caches: LatestStateCaches = {}): Promise<LatestState> {
    const height = await db.latestHeight();
    if (height === undefined) throw new Error("the database has no latest height to load the state of");
    const reader = new NodeReader(db.treeStore(), new NodeCache(caches.treeCacheBytes));
    if (reader.rootAt(height) === undefined) await buildTreeOnce(db, reader, height);
    return new LatestState(VersionedTree.open(reader, height), db.latestValues(), caches.valueCacheBytes);
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

  /** The height of this state (the tree's version). */
  get version(): number {
    return this.tree.version;
  }

  /** Reads of committed tree nodes (shared with proofs, so they use the same hot-node cache). */
  get treeReader(): NodeReader {
    return this.tree.reader;
  }

  /** The value hash at `path` in the latest tree, or undefined (a value read from disk is checked by it). */
  lookup(path: Uint8Array): Uint8Array | undefined {
    return this.tree.lookup(path);
  }

  /**
   * The tree the writes would produce at the next height, in memory; nothing changes until its records are in
   * the block's batch and `apply` is called with it.
   */
  treeWith(writes: readonly StateWrite[]): TreeCandidate {
    return this.tree.candidate(treeUpdates(writes), writes.map((w) => w.key));
  }

  /** Makes committed writes current. `tree` is the result of `treeWith(writes)` when the caller has it. */
  apply(writes: readonly StateWrite[], tree?: TreeCandidate): void {
    const candidate = tree ?? this.treeWith(writes);
    this.memory?.write(candidate.ops());
    this.tree = this.tree.commit(candidate);
    this.values.apply(writes);
  }
}

function treeUpdates(writes: readonly StateWrite[]): TreeUpdate[] {
  return writes.map((w) => ({ path: treePath(w.key), valueHash: w.value === undefined ? null : valueHash(w.value) }));
}

/**
 * A database without tree records at its latest height (written before the tree was stored, or a streamed
 * genesis, which writes values only): build the tree of that height from the values, once, and store it
 * (start-up then checks its root against the header, or a streamed genesis's recorded root, as always).
 */
async function buildTreeOnce(db: ChainDb, reader: NodeReader, height: number): Promise<void> {
  const updates: TreeUpdate[] = [];
  const history: TreePut[] = [];
  for await (const [key, value] of db.latestState()) {
    updates.push({ path: treePath(key), valueHash: valueHash(value) });
    // Every leaf built here names `height` as the height that wrote its value, and a proof reads the value
    // there with one point read: so each latest value is recorded in the history at `height` too (true: it is
    // the value at that height). Genesis (height 0) wrote its history at 0 already.
    if (height > 0) history.push({ type: "put", key: historyKey(key, height), value: concatBytes(Uint8Array.of(1), value) });
  }
  const candidate = new VersionedTree(reader, -1, null).candidate(updates, [], height);
  await db.writeTreeRecords([...candidate.ops(), ...history]);
}

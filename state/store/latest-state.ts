import { equalBytes } from "../../crypto/bytes.ts";
import { type TreeUpdate, treePath, valueHash } from "../smt.ts";
import { MemoryNodeStore } from "../tree/memory-store.ts";
import { NodeCache } from "../tree/node-cache.ts";
import { NodeReader } from "../tree/node-reader.ts";
import { type TreeCandidate, VersionedTree } from "../tree/versioned-tree.ts";
import { keyFromId, keyId, type RecordCodec, type StateReader, type StateWrite } from "../view.ts";

/** A latest value, with its decoding once a reader asked for it by a codec (always codec.decode(value)). */
interface Entry {
  value: Uint8Array;
  codec?: RecordCodec<unknown>;
  record?: unknown;
}
import type { ChainDb } from "./chain-db.ts";

/**
 * The current version of the state: every latest value in memory (the hot-state cache, so execution never
 * waits on disk) and the state tree over them, whose nodes live in the database (state/tree/): start-up
 * reads the latest height's root, nothing is rebuilt. Afterwards changed only by `apply`, right after the
 * block's batch (which carries the tree's new nodes) is on disk. Without a database (tests, tools), the
 * tree's records are kept in a Map.
 */
export class LatestState implements StateReader {
  private readonly values = new Map<string, Entry>();
  private tree: VersionedTree;
  private readonly memory: MemoryNodeStore | undefined;
  /** A key whose value, as loaded, does not hash to its leaf in the tree (damage; start-up refuses it). */
  mismatchedKey: Uint8Array | undefined;

  constructor(tree?: VersionedTree) {
    if (tree === undefined) {
      this.memory = new MemoryNodeStore();
      tree = new VersionedTree(new NodeReader(this.memory), 0, null);
    }
    this.tree = tree;
  }

  /** `cacheBytes`: the hot tree nodes' memory bound (`[state] cache_bytes`). */
  static async load(db: ChainDb, cacheBytes?: number): Promise<LatestState> {
    const height = await db.latestHeight();
    if (height === undefined) throw new Error("the database has no latest height to load the state of");
    const reader = new NodeReader(db.treeStore(), new NodeCache(cacheBytes));
    if (reader.rootAt(height) === undefined) await buildTreeOnce(db, reader, height);
    const state = new LatestState(VersionedTree.open(reader, height));
    for await (const [key, value] of db.latestState()) {
      state.values.set(keyId(key), { value });
      // The root is read, not recomputed: a damaged value is found by its leaf instead.
      const leaf = state.tree.lookup(treePath(key));
      if (state.mismatchedKey === undefined && (leaf === undefined || !equalBytes(leaf, valueHash(value)))) {
        state.mismatchedKey = key;
      }
    }
    return state;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.values.get(keyId(key))?.value;
  }

  getId(id: string): Uint8Array | undefined {
    return this.values.get(id)?.value;
  }

  /**
   * The value decoded by `codec`, decoded once per committed value: blocks and the mempool read the same
   * accounts again and again. The decoding lives with the value, so a new value (apply) never meets an old
   * decoding.
   */
  getRecordId<T>(id: string, _key: Uint8Array, codec: RecordCodec<T>): T | undefined {
    const entry = this.values.get(id);
    if (entry === undefined) return undefined;
    if (entry.codec === codec) return entry.record as T;
    const record = codec.decode(entry.value);
    entry.codec = codec as RecordCodec<unknown>;
    entry.record = record;
    return record;
  }

  /** Every entry whose key starts with `prefix` (unordered; a full pass over the state, for start-up). */
  * withPrefix(prefix: Uint8Array): Generator<[Uint8Array, Uint8Array]> {
    const p = keyId(prefix);
    for (const [id, entry] of this.values) if (id.startsWith(p)) yield [keyFromId(id), entry.value];
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

  get size(): number {
    return this.values.size;
  }

  /**
   * The tree the writes would produce at the next height, in memory; nothing changes until its ops() are in
   * the block's batch and `apply` is called with it.
   */
  treeWith(writes: readonly StateWrite[]): TreeCandidate {
    return this.tree.candidate(treeUpdates(writes), writes.map((w) => w.key));
  }

  /** Makes committed writes current. `tree` is the result of `treeWith(writes)` when the caller has it. */
  apply(writes: readonly StateWrite[], tree?: TreeCandidate): void {
    const candidate = tree ?? this.treeWith(writes);
    this.memory?.write(candidate.ops());
    const next = this.tree.commit(candidate);
    for (const w of writes) {
      if (w.value === undefined) this.values.delete(keyId(w.key));
      else this.values.set(keyId(w.key), { value: w.value, codec: w.codec, record: w.record });
    }
    this.tree = next;
  }
}

function treeUpdates(writes: readonly StateWrite[]): TreeUpdate[] {
  return writes.map((w) => ({ path: treePath(w.key), valueHash: w.value === undefined ? null : valueHash(w.value) }));
}

/**
 * A database written before the tree was stored has values but no tree records: build the tree of the latest
 * height from them, once, and store it (start-up then checks its root against the header as always).
 */
async function buildTreeOnce(db: ChainDb, reader: NodeReader, height: number): Promise<void> {
  const updates: TreeUpdate[] = [];
  for await (const [key, value] of db.latestState()) updates.push({ path: treePath(key), valueHash: valueHash(value) });
  const candidate = new VersionedTree(reader, -1, null).candidate(updates, [], height);
  await db.writeTreeRecords(candidate.ops());
}

import { SparseMerkleTree, type TreeUpdate, treePath, valueHash } from "../smt.ts";
import type { ProvedValue } from "../tree-prover.ts";
import { keyFromId, keyId, type RecordCodec, type StateReader, type StateWrite } from "../view.ts";

/** A latest value, with its decoding once a reader asked for it by a codec (always codec.decode(value)). */
interface Entry {
  value: Uint8Array;
  codec?: RecordCodec<unknown>;
  record?: unknown;
}
import type { ChainDb } from "./chain-db.ts";

/**
 * The current version of the state, in memory: every latest value (the hot-state cache, so execution never
 * waits on disk) and the state tree over them. Loaded once at start-up from the database's latest-value
 * bucket; afterwards changed only by `apply`, right after the block's batch is on disk.
 */
export class LatestState implements StateReader {
  private readonly values = new Map<string, Entry>();
  private tree = SparseMerkleTree.empty();

  static async load(db: ChainDb): Promise<LatestState> {
    const state = new LatestState();
    const entries: { path: Uint8Array; valueHash: Uint8Array }[] = [];
    for await (const [key, value] of db.latestState()) {
      state.values.set(keyId(key), { value });
      entries.push({ path: treePath(key), valueHash: valueHash(value) });
    }
    state.tree = SparseMerkleTree.fromEntries(entries);
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

  /** A key's latest value with its proof against `rootHash` (state/tree-prover.ts LatestTreeProver). */
  prove(key: Uint8Array): ProvedValue {
    return { value: this.get(key), proof: this.tree.prove(treePath(key)), root: this.tree.rootHash };
  }

  get rootHash(): Uint8Array {
    return this.tree.rootHash;
  }

  get size(): number {
    return this.values.size;
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
    const next = tree ?? this.treeWith(writes);
    for (const w of writes) {
      if (w.value === undefined) this.values.delete(keyId(w.key));
      else this.values.set(keyId(w.key), { value: w.value, codec: w.codec, record: w.record });
    }
    this.tree = next;
  }
}

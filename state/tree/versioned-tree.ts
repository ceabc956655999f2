import { compareBytes } from "../../crypto/bytes.ts";
import type { TreeUpdate } from "../smt.ts";
import { TreeNodeMissingError } from "./errors.ts";
import {
  bit,
  childAt,
  encodeRef,
  innerHash,
  KIND_EMPTY,
  KIND_LEAF,
  type LeafRef,
  leafRef,
  leafValueHashAt,
  MAX_NODE_KEY_BYTES,
  MAX_NODE_RECORD_BYTES,
  MAX_NODE_RECORD_KEY_BYTES,
  nodeHashAt,
  nodeVersionAt,
  type Ref,
  refHash,
  refKindAt,
  rootRecordKey,
  writeNodeKey,
  writeNodeRecord,
  writeNodeRecordKey,
} from "./node-codec.ts";
import type { NodeReader } from "./node-reader.ts";
import { PackedBytes } from "./packed-bytes.ts";
import { staleRecords } from "./stale-log.ts";

export type { TreeUpdate };

/** A LevelDB put, for the block's batch. */
export interface TreePut {
  type: "put";
  key: Uint8Array;
  value: Uint8Array;
}

/** What a block's batch takes from its tree: its records, put one by one (ChainDb.commitBlock). */
export interface TreeWrites {
  putInto(batch: { put(key: Uint8Array, value: Uint8Array): void }): void;
}

/**
 * The tree a block's writes would produce, held in memory: its new nodes are written only if the block is
 * committed (put into the block's batch: `putInto`). Dropping it leaves nothing behind, and candidates on the same
 * base share nothing mutable: each reads committed nodes only and keeps its own new ones. The new nodes and
 * the replaced nodes' keys are kept packed as bytes (state/tree/packed-bytes.ts), not as objects: a candidate
 * lives from the block's execution to its commit.
 */
export class TreeCandidate implements TreeWrites {
  readonly version: number;
  readonly baseVersion: number;
  readonly root: Ref;
  /** Entry 2i: new node i's LevelDB key (nodeRecordKey of its nodeKey); entry 2i + 1: its record. */
  private readonly nodes: PackedBytes;
  /** The nodeKeys of the committed nodes it replaces. */
  private readonly stale: PackedBytes;
  readonly staleStateKeys: Uint8Array[];

  constructor(opts: {
    version: number;
    baseVersion: number;
    root: Ref;
    nodes: PackedBytes;
    stale: PackedBytes;
    staleStateKeys: Uint8Array[];
  }) {
    this.version = opts.version;
    this.baseVersion = opts.baseVersion;
    this.root = opts.root;
    this.nodes = opts.nodes;
    this.stale = opts.stale;
    this.staleStateKeys = opts.staleStateKeys;
  }

  get rootHash(): Uint8Array {
    return refHash(this.root);
  }

  get newNodeCount(): number {
    return this.nodes.length / 2;
  }

  /** New node i's nodeKey and record (views, in post-order: children before their parent). */
  newNode(i: number): { key: Uint8Array; record: Uint8Array } {
    return { key: this.nodes.get(2 * i).subarray(1), record: this.nodes.get(2 * i + 1) };
  }

  /** The nodeKeys of the committed nodes this candidate replaces. */
  get staleNodeKeys(): Uint8Array[] {
    return this.stale.all();
  }

  /** The records the block's batch must write: new nodes, this height's root, and its stale log. */
  ops(): TreePut[] {
    const ops: TreePut[] = [];
    this.putInto({ put: (key, value) => void ops.push({ type: "put", key, value }) });
    return ops;
  }

  /** Puts ops() into `batch`, one by one: each new node's key and record are views, garbage once put. */
  putInto(batch: { put(key: Uint8Array, value: Uint8Array): void }): void {
    for (let i = 0; i < this.newNodeCount; i++) batch.put(this.nodes.get(2 * i), this.nodes.get(2 * i + 1));
    batch.put(rootRecordKey(this.version), encodeRef(this.root));
    const stale = { nodeKeys: this.staleNodeKeys, stateKeys: this.staleStateKeys };
    for (const r of staleRecords(this.version, stale)) batch.put(r.key, r.value);
  }
}

/** Sorted by path, one update per path (the last given wins). */
function normalize(updates: readonly TreeUpdate[]): TreeUpdate[] {
  const sorted = updates.map((u, i) => ({ u, i }));
  sorted.sort((a, b) => compareBytes(a.u.path, b.u.path) || a.i - b.i);
  const items: TreeUpdate[] = [];
  for (const { u } of sorted) {
    const last = items[items.length - 1];
    if (last !== undefined && compareBytes(last.path, u.path) === 0) items[items.length - 1] = u;
    else items.push(u);
  }
  return items;
}

/** An update, or an existing leaf moved by one: it keeps the height that wrote its value. */
type Item = TreeUpdate & { valueVersion?: number };

function leafOf(item: Item, version: number): LeafRef {
  return leafRef(item.path, item.valueHash as Uint8Array, item.valueVersion ?? version);
}

/** One candidate's construction: the new nodes it writes at `version` and the committed ones it replaces. */
class Builder {
  readonly reader: NodeReader;
  readonly version: number;
  readonly nodes = new PackedBytes();
  readonly stale = new PackedBytes();

  constructor(reader: NodeReader, version: number) {
    this.reader = reader;
    this.version = version;
  }

  private newNode(depth: number, path: Uint8Array, left: Ref, right: Ref): Ref {
    const key = this.nodes.begin(MAX_NODE_RECORD_KEY_BYTES);
    this.nodes.end(writeNodeRecordKey(key, this.nodes.at, this.version, depth, path));
    const record = this.nodes.begin(MAX_NODE_RECORD_BYTES);
    this.nodes.end(writeNodeRecord(record, this.nodes.at, left, right));
    return { kind: 2, version: this.version, hash: innerHash(left, right) };
  }

  /** Joins two subtrees under one parent, collapsing a lone leaf upward as the compact definition requires. */
  private join(depth: number, path: Uint8Array, left: Ref, right: Ref): Ref {
    if (left === null && right === null) return null;
    if (left === null && right?.kind === 1) return right;
    if (right === null && left?.kind === 1) return left;
    return this.newNode(depth, path, left, right);
  }

  /** A subtree of sorted, distinct, non-deleting items; two or more make an internal node even with an empty side. */
  private build(items: Item[], lo: number, hi: number, depth: number): Ref {
    if (lo >= hi) return null;
    if (hi - lo === 1) return leafOf(items[lo], this.version);
    let mid = lo;
    while (mid < hi && bit(items[mid].path, depth) === 0) mid++;
    const left = this.build(items, lo, mid, depth + 1);
    const right = this.build(items, mid, hi, depth + 1);
    return this.newNode(depth, items[lo].path, left, right);
  }

  /** Merges an existing leaf (or nothing) with the updates below it; drops deletions. */
  private mergeLeaf(leaf: LeafRef | null, items: TreeUpdate[], lo: number, hi: number, depth: number): Ref {
    const merged: Item[] = [];
    let leafPending = leaf !== null;
    let survivor: Item | undefined;
    for (let i = lo; i < hi; i++) {
      const it = items[i];
      if (leafPending && leaf !== null) {
        const c = compareBytes(leaf.path, it.path);
        if (c < 0) {
          survivor = { path: leaf.path, valueHash: leaf.valueHash, valueVersion: leaf.valueVersion };
          merged.push(survivor);
          leafPending = false;
        } else if (c === 0) {
          leafPending = false;
        }
      }
      if (it.valueHash !== null) merged.push(it);
    }
    if (leafPending && leaf !== null) {
      survivor = { path: leaf.path, valueHash: leaf.valueHash, valueVersion: leaf.valueVersion };
      merged.push(survivor);
    }
    if (merged.length === 0) return null;
    if (merged.length === 1) {
      if (merged[0] === survivor) return leaf;
      return leafOf(merged[0], this.version);
    }
    return this.build(merged, 0, merged.length, depth);
  }

  update(ref: Ref, items: TreeUpdate[], lo: number, hi: number, depth: number): Ref {
    if (lo >= hi) return ref;
    if (ref === null || ref.kind === 1) return this.mergeLeaf(ref, items, lo, hi, depth);
    const path = items[lo].path;
    const node = this.reader.node(ref.version, depth, path, ref.hash);
    let mid = lo;
    while (mid < hi && bit(items[mid].path, depth) === 0) mid++;
    const left = this.update(node.left, items, lo, mid, depth + 1);
    const right = this.update(node.right, items, mid, hi, depth + 1);
    if (left === node.left && right === node.right) return ref;
    const stale = this.stale.begin(MAX_NODE_KEY_BYTES);
    this.stale.end(writeNodeKey(stale, this.stale.at, ref.version, depth, path));
    return this.join(depth, path, left, right);
  }
}

/**
 * The committed state tree at one version (height): its root, read from disk at start-up, and the nodes
 * below it read on demand through the byte-bounded cache. Immutable: a block's writes make a candidate, and
 * committing it (after its batch is on disk) gives the next version.
 */
export class VersionedTree {
  readonly reader: NodeReader;
  readonly version: number;
  readonly root: Ref;

  constructor(reader: NodeReader, version: number, root: Ref) {
    this.reader = reader;
    this.version = version;
    this.root = root;
  }

  /** The tree of `version` as stored: its root record must exist. */
  static open(reader: NodeReader, version: number): VersionedTree {
    const root = reader.rootAt(version);
    if (root === undefined) throw new TreeNodeMissingError(`the state tree root of height ${version} is missing`);
    return new VersionedTree(reader, version, root);
  }

  get rootHash(): Uint8Array {
    return refHash(this.root);
  }

  /** The value hash stored at `path` in this version, or undefined. */
  lookup(path: Uint8Array): Uint8Array | undefined {
    let ref = this.root;
    let depth = 0;
    while (ref !== null) {
      if (ref.kind === 1) return compareBytes(ref.path, path) === 0 ? ref.valueHash : undefined;
      let record = this.reader.cachedRecord(ref.version, depth, path);
      if (record === undefined) {
        const node = this.reader.node(ref.version, depth, path, ref.hash);
        ref = bit(path, depth) === 0 ? node.left : node.right;
        depth++;
        continue;
      }
      // The deeper levels, held packed: each record's child is read in place, so the walk makes no node, ref or
      // copy (decoding each level made ~1 KB, which a loaded node promoted: see "Lookups read records in
      // place" in README's performance notes). A child the cache lacks is read from disk, checked, as above.
      for (;;) {
        const at = childAt(record, bit(path, depth));
        depth++;
        const kind = refKindAt(record, at);
        if (kind === KIND_EMPTY) return undefined;
        if (kind === KIND_LEAF) return leafValueHashAt(record, at, path);
        const version = nodeVersionAt(record, at);
        const next: Uint8Array | undefined = this.reader.cachedRecord(version, depth, path);
        if (next !== undefined) {
          record = next;
          continue;
        }
        // A level the cache lacks: read from disk, checked against the hash this record names, and cached.
        const node = this.reader.node(version, depth, path, nodeHashAt(record, at));
        ref = bit(path, depth) === 0 ? node.left : node.right;
        depth++;
        break;
      }
    }
    return undefined;
  }

  /**
   * The tree after `updates` as version `version` (default: the next). `stateKeys` are the state keys
   * written (their older history versions become stale at this version: the pruner's log).
   */
  candidate(updates: readonly TreeUpdate[], stateKeys: Uint8Array[] = [], version = this.version + 1): TreeCandidate {
    const items = normalize(updates);
    const builder = new Builder(this.reader, version);
    const root = builder.update(this.root, items, 0, items.length, 0);
    return new TreeCandidate({
      version,
      baseVersion: this.version,
      root,
      nodes: builder.nodes,
      stale: builder.stale,
      staleStateKeys: stateKeys,
    });
  }

  /** The next version, once the candidate's ops are on disk. Its new nodes go to the cache. */
  commit(c: TreeCandidate): VersionedTree {
    if (c.baseVersion !== this.version) {
      throw new Error(`a tree candidate built on version ${c.baseVersion} cannot commit on version ${this.version}`);
    }
    for (let i = 0; i < c.newNodeCount; i++) {
      const { key, record } = c.newNode(i);
      this.reader.remember(key, record);
    }
    return new VersionedTree(this.reader, c.version, c.root);
  }
}

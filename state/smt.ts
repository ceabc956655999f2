import { sha256 } from "../crypto/hash.ts";
import type { StateProof } from "./tree-prover.ts";

/**
 * The authenticated map behind every block's state root: a compact sparse Merkle tree over 256-bit paths
 * (sha256 of the state key), as in Diem's JMT definition:
 *   - an empty subtree hashes to 32 zero bytes;
 *   - a subtree holding exactly one entry is that entry's leaf, hashed H(0x00 || path || H(value));
 *   - any other subtree is an inner node, H(0x01 || left || right).
 * So the root depends only on the set of (key, value) pairs, never on insertion order, and inclusion and
 * non-inclusion proofs are the sibling hashes along a path (`prove`; the format is state/tree-prover.ts's).
 *
 * The tree is persistent (immutable nodes, path copying): applying a block's writes returns a new root and
 * leaves the old one intact, so a candidate block can be evaluated and dropped without undo logic, and
 * older versions stay readable for as long as someone holds their root.
 */

export const EMPTY_HASH = new Uint8Array(32);
const LEAF_TAG = Uint8Array.of(0);
const INNER_TAG = Uint8Array.of(1);

interface Leaf {
  readonly leaf: true;
  readonly path: Uint8Array;
  readonly valueHash: Uint8Array;
  readonly hash: Uint8Array;
}

interface Inner {
  readonly leaf: false;
  readonly left: TreeNode | null;
  readonly right: TreeNode | null;
  hash: Uint8Array | null; // computed lazily, once
}

type TreeNode = Leaf | Inner;

/** One change to apply: `valueHash` null deletes the path. */
export interface TreeUpdate {
  path: Uint8Array;
  valueHash: Uint8Array | null;
}

function bit(path: Uint8Array, depth: number): number {
  return (path[depth >> 3] >> (7 - (depth & 7))) & 1;
}

function comparePaths(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d;
  }
  return 0;
}

function makeLeaf(path: Uint8Array, valueHash: Uint8Array): Leaf {
  return { leaf: true, path, valueHash, hash: sha256(LEAF_TAG, path, valueHash) };
}

function nodeHash(node: TreeNode | null): Uint8Array {
  if (node === null) return EMPTY_HASH;
  if (node.leaf) return node.hash;
  if (node.hash === null) node.hash = sha256(INNER_TAG, nodeHash(node.left), nodeHash(node.right));
  return node.hash;
}

/** Joins two subtrees under one parent, collapsing as the compact definition requires. */
function join(left: TreeNode | null, right: TreeNode | null): TreeNode | null {
  if (left === null && right === null) return null;
  if (left === null && right !== null && right.leaf) return right;
  if (right === null && left !== null && left.leaf) return left;
  return { leaf: false, left, right, hash: null };
}

/** Builds a subtree from sorted, distinct, non-deleting updates. */
function build(items: TreeUpdate[], lo: number, hi: number, depth: number): TreeNode | null {
  if (lo >= hi) return null;
  if (hi - lo === 1) return makeLeaf(items[lo].path, items[lo].valueHash as Uint8Array);
  let mid = lo;
  while (mid < hi && bit(items[mid].path, depth) === 0) mid++;
  const left = build(items, lo, mid, depth + 1);
  const right = build(items, mid, hi, depth + 1);
  return left === null || right === null ? { leaf: false, left, right, hash: null } : join(left, right);
}

function update(
  node: TreeNode | null,
  items: TreeUpdate[],
  lo: number,
  hi: number,
  depth: number,
): TreeNode | null {
  if (lo >= hi) return node;
  if (node === null || node.leaf) {
    // Merge the existing leaf (unless overwritten) with the updates, drop deletions, rebuild this subtree.
    const merged: TreeUpdate[] = [];
    // The existing leaf, if it survives unchanged, is pushed as this very object (checked below).
    const survivor: TreeUpdate | null = node === null ? null : { path: node.path, valueHash: node.valueHash };
    let leafPending = node !== null;
    for (let i = lo; i < hi; i++) {
      const it = items[i];
      if (leafPending && node !== null) {
        const c = comparePaths(node.path, it.path);
        if (c < 0) {
          merged.push(survivor as TreeUpdate);
          leafPending = false;
        } else if (c === 0) {
          leafPending = false;
        }
      }
      if (it.valueHash !== null) merged.push(it);
    }
    if (leafPending && node !== null) merged.push(survivor as TreeUpdate);
    if (merged.length === 0) return null;
    if (merged.length === 1) {
      const only = merged[0];
      if (node !== null && only === survivor) return node;
      return makeLeaf(only.path, only.valueHash as Uint8Array);
    }
    return buildSubtree(merged, depth);
  }
  let mid = lo;
  while (mid < hi && bit(items[mid].path, depth) === 0) mid++;
  const left = update(node.left, items, lo, mid, depth + 1);
  const right = update(node.right, items, mid, hi, depth + 1);
  if (left === node.left && right === node.right) return node;
  return join(left, right);
}

/** Builds a subtree with >= 2 entries rooted at `depth`; single-child inner nodes are kept above a split. */
function buildSubtree(items: TreeUpdate[], depth: number): TreeNode | null {
  return build(items, 0, items.length, depth);
}

export class SparseMerkleTree {
  private readonly root: TreeNode | null;
  readonly size: number;

  private constructor(root: TreeNode | null, size: number) {
    this.root = root;
    this.size = size;
  }

  static empty(): SparseMerkleTree {
    return new SparseMerkleTree(null, 0);
  }

  /** Builds a tree from entries in any order (paths must be distinct). */
  static fromEntries(entries: { path: Uint8Array; valueHash: Uint8Array }[]): SparseMerkleTree {
    const items = entries.map((e) => ({ path: e.path, valueHash: e.valueHash }));
    items.sort((a, b) => comparePaths(a.path, b.path));
    return new SparseMerkleTree(build(items, 0, items.length, 0), items.length);
  }

  get rootHash(): Uint8Array {
    return nodeHash(this.root);
  }

  /**
   * Returns a new tree with the updates applied; this one is unchanged. If a path appears more than once,
   * the last update wins. `sizeDelta` is supplied by the caller, who knows which keys existed.
   */
  apply(updates: TreeUpdate[], sizeDelta = 0): SparseMerkleTree {
    if (updates.length === 0) return this;
    const sorted = updates.map((u, i) => ({ u, i }));
    sorted.sort((a, b) => comparePaths(a.u.path, b.u.path) || a.i - b.i);
    const items: TreeUpdate[] = [];
    for (const { u } of sorted) {
      const last = items[items.length - 1];
      if (last !== undefined && comparePaths(last.path, u.path) === 0) items[items.length - 1] = u;
      else items.push(u);
    }
    return new SparseMerkleTree(update(this.root, items, 0, items.length, 0), this.size + sizeDelta);
  }

  /**
   * The proof of what `path` holds: the siblings down its path to where it ends, at a leaf (its own, for a
   * present key, or the one other key alone in that subtree) or at an empty subtree (state/tree-prover.ts).
   */
  prove(path: Uint8Array): StateProof {
    const siblings: Uint8Array[] = [];
    let node = this.root;
    for (let depth = 0; node !== null && !node.leaf; depth++) {
      const right = bit(path, depth) === 1;
      siblings.push(nodeHash(right ? node.left : node.right));
      node = right ? node.right : node.left;
    }
    if (node === null) return { siblings };
    return { siblings, leaf: { path: node.path, valueHash: node.valueHash } };
  }

  /** The value hash stored at `path`, or undefined. */
  lookup(path: Uint8Array): Uint8Array | undefined {
    let node = this.root;
    let depth = 0;
    while (node !== null) {
      if (node.leaf) return comparePaths(node.path, path) === 0 ? node.valueHash : undefined;
      node = bit(path, depth) === 0 ? node.left : node.right;
      depth++;
    }
    return undefined;
  }
}

/** The path of a state key in the tree. */
export function treePath(key: Uint8Array): Uint8Array {
  return sha256(key);
}

export function valueHash(value: Uint8Array): Uint8Array {
  return sha256(value);
}

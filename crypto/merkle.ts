import { hash } from "node:crypto";
import { equalBytes } from "./bytes.ts";
import { sha256 } from "./hash.ts";
import { sha256SmallInto } from "./sha256-small.ts";

/**
 * Binary Merkle root over an ordered list (RFC 6962 shape): inner nodes are H(0x01 || left || right), an odd
 * node is carried up unchanged, and the empty list hashes to sha256(""). Used for a block's transactions
 * (leaves: the tx hashes) and results (leaves: H(0x00 || encoded result)).
 */
const LEAF = Uint8Array.of(0);
const INNER = Uint8Array.of(1);
const EMPTY_ROOT = sha256();

/** Root over leaves that are already 32-byte hashes (e.g. transaction hashes). */
export function merkleRootOfHashes(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0];
  const packed = new Uint8Array(leaves.length * 32);
  for (let i = 0; i < leaves.length; i++) packed.set(leaves[i], i * 32);
  return merkleRootOfPacked(packed, leaves.length);
}

/**
 * merkleRootOfHashes of `count` 32-byte leaves lying one after another in `packed` (a block's result leaves,
 * hashed into one array as execution makes them: node/block-results.ts). `packed` is only read.
 */
export function merkleRootOfPacked(packed: Uint8Array, count: number): Uint8Array {
  if (!Number.isInteger(count) || count < 0 || packed.byteLength < count * 32) {
    throw new RangeError(`${count} leaves of 32 bytes do not fit an array of ${packed.byteLength}`);
  }
  if (count === 0) return EMPTY_ROOT;
  if (count === 1) return packed.slice(0, 32);
  // A block's roots take a hash per transaction: each inner node is hashed (0x01 || left || right, through one
  // reused 65-byte buffer) straight into one buffer that holds a whole level, and each next level is written
  // over the one below it (node i of a level reads nodes 2i and 2i + 1 of the level below first), so the
  // tree's nodes are no objects at all (crypto/sha256-small.ts hashes without allocating).
  const pair = new Uint8Array(65);
  pair[0] = INNER[0];
  const level = new Uint8Array(Math.ceil(count / 2) * 32);
  let below = packed;
  for (let n = count; n > 1; n = Math.ceil(n / 2)) {
    for (let i = 0; i < n; i += 2) {
      if (i + 1 < n) {
        for (let k = 0; k < 64; k++) pair[1 + k] = below[i * 32 + k]; // (a subarray would be an object per node)
        sha256SmallInto(pair, 0, 65, level, (i / 2) * 32);
      } else {
        level.set(below.subarray(i * 32, i * 32 + 32), (i / 2) * 32); // carried up
      }
    }
    below = level;
  }
  return level.slice(0, 32); // a copy of its own: the root outlives this call (headers keep it)
}

/** Root over arbitrary items: each leaf is H(0x00 || item), so a leaf can never pass for an inner node. */
export function merkleRoot(items: readonly Uint8Array[]): Uint8Array {
  return merkleRootOfHashes(items.map(merkleLeaf));
}

/** The leaf hash of one item of merkleRoot's list (stored per tx result so one result can be checked alone). */
export function merkleLeaf(item: Uint8Array): Uint8Array {
  return sha256(LEAF, item);
}

/**
 * The sibling hashes from leaf `index` up to the root of merkleRootOfHashes(leaves), bottom first. A node
 * carried up unchanged (the odd last one of a level) has no sibling there, so that level adds nothing.
 */
export function merkleProof(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`leaf index ${index} is outside 0..${leaves.length - 1}`);
  }
  const proof: Uint8Array[] = [];
  let level = leaves as readonly Uint8Array[];
  let i = index;
  while (level.length > 1) {
    const sibling = i % 2 === 1 ? i - 1 : i + 1;
    if (sibling < level.length) proof.push(level[sibling]);
    level = parentLevel(level);
    i = Math.floor(i / 2);
  }
  return proof;
}

/** Whether `leaf` is at `index` of a list of `count` leaves whose merkleRootOfHashes is `root`. */
export function verifyMerkleProof(
  leaf: Uint8Array,
  index: number,
  count: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count) return false;
  let node = leaf;
  let used = 0;
  for (let i = index, n = count; n > 1; i = Math.floor(i / 2), n = Math.ceil(n / 2)) {
    if (i % 2 === 1) {
      if (used >= proof.length) return false;
      node = innerHash(proof[used++], node);
    } else if (i + 1 < n) {
      if (used >= proof.length) return false;
      node = innerHash(node, proof[used++]);
    }
  }
  return used === proof.length && equalBytes(node, root);
}

function innerHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(INNER, left, right);
}

// ---- the frontier: the same root, kept up to date one leaf at a time ----

/**
 * The tree of merkleRootOfHashes over n leaves is the perfect subtrees of n's binary digits, largest (leftmost)
 * first, joined right to left: for n = 7 = 4 + 2 + 1 it is H(H(0..3) || H(H(4, 5) || 6)). Pairing level by
 * level with the odd last node carried up builds exactly that (the RFC 6962 shape). The frontier is those
 * subtree roots, largest first, one per set bit of n: O(log n) hashes to keep, to extend by a leaf, and to
 * turn into the root, so a datanet that grows one accepted item at a time never rehashes the others.
 */

/** The frontier after appending `leaf` to a tree of `count` leaves whose frontier is `frontier`. */
export function merkleFrontierAppend(frontier: readonly Uint8Array[], count: number, leaf: Uint8Array): Uint8Array[] {
  checkFrontier(frontier, count);
  const next = frontier.slice();
  let node = leaf;
  // Like a binary increment: each trailing 1 bit is a subtree of the new leaf's size, which it joins (carry).
  for (let n = count; n % 2 === 1; n = Math.floor(n / 2)) node = innerHash(next.pop() as Uint8Array, node);
  next.push(node);
  return next;
}

/** merkleRootOfHashes of the `count` leaves the frontier stands for. */
export function merkleFrontierRoot(frontier: readonly Uint8Array[], count: number): Uint8Array {
  checkFrontier(frontier, count);
  if (count === 0) return EMPTY_ROOT;
  let root = frontier[frontier.length - 1];
  for (let i = frontier.length - 2; i >= 0; i--) root = innerHash(frontier[i], root);
  return root;
}

/** A frontier of the wrong size is a bug or corrupt state, never a caller's input. */
function checkFrontier(frontier: readonly Uint8Array[], count: number): void {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`merkle frontier: bad leaf count ${count}`);
  let bits = 0;
  for (let n = count; n > 0; n = Math.floor(n / 2)) bits += n % 2;
  if (frontier.length !== bits) {
    throw new RangeError(`merkle frontier: ${frontier.length} nodes for ${count} leaves; expected ${bits}`);
  }
}

// ---- a whole tree, kept for many proofs ----

const NODE = 32;

/** Leaves read or nodes hashed between two pauses of MerkleTree.buildPaced (~1 ms of work). */
const BUILD_SLICE = 512;

/**
 * Every level of the tree over `count` 32-byte leaves, each level one contiguous buffer (a million leaves take
 * ~64 MB, where one object per node would take several times that). Built with count - 1 hashes; a proof is
 * then O(log count) copies. For the RPC, which serves proofs of immutable datanet versions.
 */
export class MerkleTree {
  readonly count: number;
  private readonly levels: Buffer[];

  private constructor(count: number, levels: Buffer[]) {
    this.count = count;
    this.levels = levels;
  }

  /** `leafAt(i)` gives leaf i, a 32-byte hash, for i in 0..count-1. */
  static build(count: number, leafAt: (index: number) => Uint8Array): MerkleTree {
    const steps = MerkleTree.steps(count, leafAt);
    for (;;) {
      const step = steps.next();
      if (step.done === true) return step.value;
    }
  }

  /**
   * The same tree, built a slice at a time: `pace` is awaited every BUILD_SLICE leaves read or nodes hashed,
   * so a big tree (a million leaves take ~2 s) does not hold up everything else on the thread, and a `pace`
   * that throws abandons the build.
   */
  static async buildPaced(
    count: number,
    leafAt: (index: number) => Uint8Array,
    pace: () => Promise<void>,
  ): Promise<MerkleTree> {
    const steps = MerkleTree.steps(count, leafAt);
    for (;;) {
      const step = steps.next();
      if (step.done === true) return step.value;
      await pace();
    }
  }

  /** The build, pausing (yield) after every BUILD_SLICE units of work. */
  private static* steps(count: number, leafAt: (index: number) => Uint8Array): Generator<void, MerkleTree, void> {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`merkle tree: bad leaf count ${count}`);
    let work = 0;
    const leaves = Buffer.alloc(count * NODE);
    for (let i = 0; i < count; i++) {
      const leaf = leafAt(i);
      if (leaf.byteLength !== NODE) throw new RangeError(`merkle tree: leaf ${i} is ${leaf.byteLength} bytes, not 32`);
      leaves.set(leaf, i * NODE);
      if (++work % BUILD_SLICE === 0) yield;
    }
    const levels = [leaves];
    const scratch = Buffer.alloc(1 + 2 * NODE);
    scratch[0] = INNER[0];
    for (let n = count; n > 1; n = Math.ceil(n / 2)) {
      const level = levels[levels.length - 1];
      const parent = Buffer.alloc(Math.ceil(n / 2) * NODE);
      for (let i = 0; i + 1 < n; i += 2) {
        level.copy(scratch, 1, i * NODE, (i + 2) * NODE);
        parent.set(hash("sha256", scratch, "buffer"), (i / 2) * NODE);
        if (++work % BUILD_SLICE === 0) yield;
      }
      if (n % 2 === 1) level.copy(parent, ((n - 1) / 2) * NODE, (n - 1) * NODE, n * NODE); // carried up
      levels.push(parent);
    }
    return new MerkleTree(count, levels);
  }

  /** merkleRootOfHashes of the leaves. */
  root(): Uint8Array {
    if (this.count === 0) return EMPTY_ROOT;
    return new Uint8Array(this.levels[this.levels.length - 1].subarray(0, NODE));
  }

  /** The same proof as merkleProof(leaves, index): siblings bottom first, none where a node is carried up. */
  proof(index: number): Uint8Array[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`leaf index ${index} is outside 0..${this.count - 1}`);
    }
    const proof: Uint8Array[] = [];
    let i = index;
    for (let level = 0, n = this.count; n > 1; level++, n = Math.ceil(n / 2), i = Math.floor(i / 2)) {
      const sibling = i % 2 === 1 ? i - 1 : i + 1;
      if (sibling < n) proof.push(new Uint8Array(this.levels[level].subarray(sibling * NODE, (sibling + 1) * NODE)));
    }
    return proof;
  }

  /** Memory the levels take, for a cache's budget. */
  byteLength(): number {
    return this.levels.reduce((sum, level) => sum + level.byteLength, 0);
  }
}

function parentLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) {
    next.push(i + 1 < level.length ? innerHash(level[i], level[i + 1]) : level[i]);
  }
  return next;
}

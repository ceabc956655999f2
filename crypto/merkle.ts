import { hash } from "node:crypto";
import { equalBytes } from "./bytes.ts";
import { sha256 } from "./hash.ts";

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
  // Inner nodes hash 0x01 || left || right through one reused 65-byte buffer and the one-shot hash: a
  // block's roots take a hash per transaction, and this is ~2x cheaper than a hash object per node.
  const scratch = Buffer.alloc(65);
  scratch[0] = INNER[0];
  let level = leaves as Uint8Array[];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 < level.length) {
        scratch.set(level[i], 1);
        scratch.set(level[i + 1], 33);
        next.push(hash("sha256", scratch, "buffer"));
      } else {
        next.push(level[i]);
      }
    }
    level = next;
  }
  return new Uint8Array(level[0]); // a copy of its own: the root outlives this call (headers keep it)
}

/** Root over arbitrary items: each leaf is H(0x00 || item), so a leaf can never pass for an inner node. */
export function merkleRoot(items: readonly Uint8Array[]): Uint8Array {
  return merkleRootOfHashes(items.map((item) => sha256(LEAF, item)));
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

function parentLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) {
    next.push(i + 1 < level.length ? innerHash(level[i], level[i + 1]) : level[i]);
  }
  return next;
}

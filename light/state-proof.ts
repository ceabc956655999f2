import { sha256 } from "@noble/hashes/sha2.js";
import { equalBytes, toHex } from "./bytes.ts";
import { refuse } from "./errors.ts";
import { HASH_LENGTH, type StateProof } from "./types.ts";

/**
 * Verification of a state proof against a state root, per proof-contract.md and the tree of state/smt.ts:
 * path = sha256(state key); a leaf hashes sha256(0x00 || path || sha256(value)); an inner node
 * sha256(0x01 || left || right); an empty subtree is 32 zero bytes.
 */

/** The deepest a path can go: one level per bit of a 256-bit path. */
export const MAX_PROOF_DEPTH = 256;

const EMPTY_SUBTREE = new Uint8Array(HASH_LENGTH);

export interface VerifiedStateProof {
  /** "inclusion": the key holds the value; "absence": the key is not in the state. */
  kind: "inclusion" | "absence";
  /** The depth where the key's path ends in the tree. */
  depth: number;
}

function bit(path: Uint8Array, depth: number): number {
  return (path[depth >> 3] >> (7 - (depth & 7))) & 1;
}

/** Whether two paths agree on their first `bits` bits. */
function sharePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i++) if (bit(a, i) !== bit(b, i)) return false;
  return true;
}

// Node hashes are computed over one reused buffer: a proof costs one sha256 per level plus the leaf's.
const leafInput = new Uint8Array(1 + 2 * HASH_LENGTH);
const innerInput = new Uint8Array(1 + 2 * HASH_LENGTH);
innerInput[0] = 1;

function leafHash(path: Uint8Array, valueHash: Uint8Array): Uint8Array {
  leafInput.set(path, 1);
  leafInput.set(valueHash, 1 + HASH_LENGTH);
  return sha256(leafInput);
}

function checkHash(b: Uint8Array, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== HASH_LENGTH) {
    refuse("INVALID_PROOF", `${what} must be ${HASH_LENGTH} bytes, got ${b instanceof Uint8Array ? b.length : typeof b}`);
  }
}

/**
 * Checks that under `root`, state key `key` holds `value` (or, with `value` undefined, that it is absent).
 * Inclusion needs the proof's leaf to be the key's own (its path) holding this value (its hash). Absence
 * needs no leaf where the path ends, or a leaf of another key that shares the path so far. Either way the
 * hashes from there up, with the siblings, must give `root`. Throws INVALID_PROOF saying which part fails.
 */
export function verifyStateProof(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | undefined,
  proof: StateProof,
): VerifiedStateProof {
  checkHash(root, "the state root");
  const depth = proof.siblings.length;
  if (depth > MAX_PROOF_DEPTH) refuse("INVALID_PROOF", `the proof has ${depth} siblings; a path has at most ${MAX_PROOF_DEPTH}`);
  proof.siblings.forEach((s, i) => checkHash(s, `sibling ${i} of the proof`));
  const path = sha256(key);
  const leaf = proof.leaf;
  if (leaf !== undefined) {
    checkHash(leaf.path, "the proof's leaf path");
    checkHash(leaf.valueHash, "the proof's leaf value hash");
  }
  const ownLeaf = leaf !== undefined && equalBytes(leaf.path, path);
  if (value !== undefined) {
    if (leaf === undefined) refuse("INVALID_PROOF", `the proof shows no value for key ${toHex(key)}, but a value was claimed`);
    if (!ownLeaf) refuse("INVALID_PROOF", `the proof's leaf is for path ${toHex(leaf.path)}, not key ${toHex(key)} (path ${toHex(path)})`);
    const valueHash = sha256(value);
    if (!equalBytes(leaf.valueHash, valueHash)) {
      refuse("INVALID_PROOF", `the proof's leaf holds a value hashing to ${toHex(leaf.valueHash)}, but the claimed value hashes to ${toHex(valueHash)}`);
    }
  } else if (leaf !== undefined) {
    if (ownLeaf) refuse("INVALID_PROOF", `the proof shows key ${toHex(key)} present, but its absence was claimed`);
    if (!sharePrefix(leaf.path, path, depth)) {
      refuse("INVALID_PROOF", `the proof's leaf (path ${toHex(leaf.path)}) does not lie on key ${toHex(key)}'s path at depth ${depth}`);
    }
  }
  let node = leaf === undefined ? EMPTY_SUBTREE : leafHash(leaf.path, leaf.valueHash);
  for (let i = depth - 1; i >= 0; i--) {
    const sibling = proof.siblings[i];
    if (bit(path, i) === 0) {
      innerInput.set(node, 1);
      innerInput.set(sibling, 1 + HASH_LENGTH);
    } else {
      innerInput.set(sibling, 1);
      innerInput.set(node, 1 + HASH_LENGTH);
    }
    node = sha256(innerInput);
  }
  if (!equalBytes(node, root)) {
    refuse("INVALID_PROOF", `the proof for key ${toHex(key)} leads to root ${toHex(node)}, not the state root ${toHex(root)}`);
  }
  return { kind: value === undefined ? "absence" : "inclusion", depth };
}

import { createHash } from "node:crypto";

/**
 * A small prover for tests of the light client: builds the proof-contract proof of one path over a list of
 * tree entries, by the compact tree definition of state/smt.ts (empty = 32 zero bytes, one entry = its leaf,
 * otherwise H(0x01 || left || right)). O(entries x depth) per proof: for test trees only. Its roots are
 * checked against SparseMerkleTree's, so its proofs are the tree's.
 */

export interface Entry {
  path: Uint8Array;
  valueHash: Uint8Array;
}

export interface TestProof {
  siblings: Uint8Array[];
  leaf?: Entry;
}

const EMPTY = new Uint8Array(32);

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

function bit(path: Uint8Array, depth: number): number {
  return (path[depth >> 3] >> (7 - (depth & 7))) & 1;
}

export function subtreeHash(entries: readonly Entry[], depth: number): Uint8Array {
  if (entries.length === 0) return EMPTY;
  if (entries.length === 1) return sha256(Uint8Array.of(0), entries[0].path, entries[0].valueHash);
  const left = entries.filter((e) => bit(e.path, depth) === 0);
  const right = entries.filter((e) => bit(e.path, depth) === 1);
  return sha256(Uint8Array.of(1), subtreeHash(left, depth + 1), subtreeHash(right, depth + 1));
}

export function proveTestPath(entries: readonly Entry[], path: Uint8Array): TestProof {
  const siblings: Uint8Array[] = [];
  let here = entries;
  for (let depth = 0; ; depth++) {
    if (here.length === 0) return { siblings };
    if (here.length === 1) return { siblings, leaf: here[0] };
    const side = bit(path, depth);
    siblings.push(subtreeHash(here.filter((e) => bit(e.path, depth) !== side), depth + 1));
    here = here.filter((e) => bit(e.path, depth) === side);
  }
}

import { equalBytes } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import type { StateProof } from "../../state/tree/proof.ts";

/**
 * The shared contract's verification rule (/work/briefs/proof-contract.md), written here from the rule and
 * not from the node's code: whether `proof` shows `key` holding `value` (undefined: absent) under `root`.
 */
export function proofHolds(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | undefined,
  proof: StateProof,
): boolean {
  const path = sha256(key);
  const d = proof.siblings.length;
  if (d > 256 || proof.siblings.some((s) => s.byteLength !== 32)) return false;
  const bitOf = (i: number) => (path[i >> 3] >> (7 - (i & 7))) & 1;
  let node = proof.leaf ? sha256(Uint8Array.of(0), proof.leaf.path, proof.leaf.valueHash) : new Uint8Array(32);
  for (let i = d - 1; i >= 0; i--) {
    node = bitOf(i) === 0
      ? sha256(Uint8Array.of(1), node, proof.siblings[i])
      : sha256(Uint8Array.of(1), proof.siblings[i], node);
  }
  if (!equalBytes(node, root)) return false;
  if (value !== undefined) {
    const leaf = proof.leaf;
    return leaf !== undefined && equalBytes(leaf.path, path) && equalBytes(leaf.valueHash, sha256(value));
  }
  if (proof.leaf === undefined) return true;
  if (equalBytes(proof.leaf.path, path)) return false;
  for (let i = 0; i < d; i++) {
    if (((proof.leaf.path[i >> 3] >> (7 - (i & 7))) & 1) !== bitOf(i)) return false;
  }
  return true;
}

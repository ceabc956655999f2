import { equalBytes } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";

/**
 * A state proof verifier written from the shared contract's rule (/work/briefs/proof-contract.md, "The proof"),
 * independently of state/smt.ts, so tests check the node's proofs against the definition rather than against
 * the code that made them. Test-only: the light client library (light/) has the verifier users run.
 */

export interface StateProofBytes {
  siblings: Uint8Array[];
  leaf?: { path: Uint8Array; valueHash: Uint8Array };
}

const ZERO = new Uint8Array(32);

function bitOf(path: Uint8Array, i: number): number {
  return (path[i >> 3] >> (7 - (i & 7))) & 1;
}

/** True when the first `bits` bits of a and b agree. */
function samePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i++) if (bitOf(a, i) !== bitOf(b, i)) return false;
  return true;
}

/**
 * Why (root, key, value, proof) does not verify, or undefined when it does. `value` undefined claims the key
 * is absent.
 */
export function stateProofFailure(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | undefined,
  proof: StateProofBytes,
): string | undefined {
  const d = proof.siblings.length;
  if (d > 256) return `${d} siblings: a path has at most 256`;
  if (proof.siblings.some((s) => s.byteLength !== 32)) return "a sibling is not 32 bytes";
  const path = sha256(key);
  const leaf = proof.leaf;
  if (leaf !== undefined && (leaf.path.byteLength !== 32 || leaf.valueHash.byteLength !== 32)) {
    return "the leaf's path or value hash is not 32 bytes";
  }
  if (value !== undefined) {
    if (leaf === undefined) return "a claim of a value needs a leaf";
    if (!equalBytes(leaf.path, path)) return "the leaf is another key's";
    if (!equalBytes(leaf.valueHash, sha256(value))) return "the leaf holds another value";
  } else if (leaf !== undefined) {
    if (equalBytes(leaf.path, path)) return "the leaf is the key's own: it is present";
    if (!samePrefix(leaf.path, path, d)) return "the leaf does not lie on the key's path";
  }
  let node = leaf === undefined ? ZERO : sha256(Uint8Array.of(0), leaf.path, leaf.valueHash);
  for (let i = d - 1; i >= 0; i--) {
    node = bitOf(path, i) === 0
      ? sha256(Uint8Array.of(1), node, proof.siblings[i])
      : sha256(Uint8Array.of(1), proof.siblings[i], node);
  }
  return equalBytes(node, root) ? undefined : "the proof does not lead to the root";
}

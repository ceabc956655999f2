import { sha256 } from "./hash.ts";

/**
 * Binary Merkle root over an ordered list (RFC 6962 shape): leaves and inner nodes are hashed with distinct
 * prefixes, so a leaf can never pass for an inner node. Used for a block's transactions and results.
 */
const LEAF = Uint8Array.of(0);
const INNER = Uint8Array.of(1);
const EMPTY_ROOT = sha256();

export function merkleRoot(items: readonly Uint8Array[]): Uint8Array {
  if (items.length === 0) return EMPTY_ROOT;
  let level = items.map((item) => sha256(LEAF, item));
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? sha256(INNER, level[i], level[i + 1]) : level[i]);
    }
    level = next;
  }
  return level[0];
}

import { concatBytes, equalBytes } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";

/**
 * What is stored with a block at commit so that reads need not decode it: the digest and size of its bytes
 * and its txs' hashes in block order. The record checks itself (a sha256 of the rest leads it), so damage to
 * it is refused, never read as another block's digest or another tx order.
 */
export interface BlockCheck {
  digest: Uint8Array;
  size: number;
  txHashes: Uint8Array[];
}

const HASH = 32;
const FIXED = HASH + HASH + 4 + 4;

export function encodeBlockCheck(blockBytes: Uint8Array, txHashes: Uint8Array[]): Uint8Array {
  const head = new Uint8Array(HASH + 8);
  head.set(sha256(blockBytes), 0);
  const view = new DataView(head.buffer);
  view.setUint32(HASH, blockBytes.byteLength);
  view.setUint32(HASH + 4, txHashes.length);
  const rest = concatBytes(head, ...txHashes);
  return concatBytes(sha256(rest), rest);
}

/** The check back, or undefined if the record is damaged (its own checksum fails or its shape is wrong). */
export function decodeBlockCheck(raw: Uint8Array): BlockCheck | undefined {
  if (raw.byteLength < FIXED) return undefined;
  const rest = raw.subarray(HASH);
  if (!equalBytes(sha256(rest), raw.subarray(0, HASH))) return undefined;
  const view = new DataView(rest.buffer, rest.byteOffset, rest.byteLength);
  const size = view.getUint32(HASH);
  const count = view.getUint32(HASH + 4);
  if (rest.byteLength !== HASH + 8 + count * HASH) return undefined;
  const txHashes: Uint8Array[] = [];
  for (let i = 0; i < count; i++) txHashes.push(rest.subarray(HASH + 8 + i * HASH, HASH + 8 + (i + 1) * HASH));
  return { digest: rest.subarray(0, HASH), size, txHashes };
}

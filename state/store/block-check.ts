import { concatBytes, equalBytes } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";

/**
 * What is stored with a block at commit so that reads need not decode it: the digest and size of its bytes,
 * the digest of its metadata (hash, commit, tx count: the commit's signatures are covered by no header),
 * its txs' hashes in block order, and the leaf hashes of their results (the leaves of the header's
 * resultsRoot, crypto/merkle.ts), so one served tx result is checked against what the block committed. The record checks itself (a sha256 of the rest leads it), so damage to
 * it is refused, never read as another block's digest or another tx order.
 */
export interface BlockCheck {
  digest: Uint8Array;
  /** sha256 of the block's stored metadata (its commit's signatures are covered by no header). */
  metaDigest: Uint8Array;
  size: number;
  txHashes: Uint8Array[];
  resultHashes: Uint8Array[];
}

const HASH = 32;
const FIXED = HASH + HASH + HASH + 4 + 4;
/** Where the counts start in the record after its own checksum: block digest, meta digest. */
const COUNTS = 2 * HASH;

export function encodeBlockCheck(
  blockBytes: Uint8Array,
  metaBytes: Uint8Array,
  txHashes: Uint8Array[],
  resultHashes: Uint8Array[],
): Uint8Array {
  if (resultHashes.length !== txHashes.length) throw new Error("a block check needs one result per tx");
  const head = new Uint8Array(COUNTS + 8);
  head.set(sha256(blockBytes), 0);
  head.set(sha256(metaBytes), HASH);
  const view = new DataView(head.buffer);
  view.setUint32(COUNTS, blockBytes.byteLength);
  view.setUint32(COUNTS + 4, txHashes.length);
  const rest = concatBytes(head, ...txHashes, ...resultHashes);
  return concatBytes(sha256(rest), rest);
}

/** The check back, or undefined if the record is damaged (its own checksum fails or its shape is wrong). */
export function decodeBlockCheck(raw: Uint8Array): BlockCheck | undefined {
  if (raw.byteLength < FIXED) return undefined;
  const rest = raw.subarray(HASH);
  if (!equalBytes(sha256(rest), raw.subarray(0, HASH))) return undefined;
  const view = new DataView(rest.buffer, rest.byteOffset, rest.byteLength);
  const size = view.getUint32(COUNTS);
  const count = view.getUint32(COUNTS + 4);
  if (rest.byteLength !== COUNTS + 8 + 2 * count * HASH) return undefined;
  const at = (i: number) => rest.subarray(COUNTS + 8 + i * HASH, COUNTS + 8 + (i + 1) * HASH);
  const txHashes: Uint8Array[] = [];
  const resultHashes: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    txHashes.push(at(i));
    resultHashes.push(at(count + i));
  }
  return { digest: rest.subarray(0, HASH), metaDigest: rest.subarray(HASH, COUNTS), size, txHashes, resultHashes };
}

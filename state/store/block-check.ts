import { concatBytes, equalBytes } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";

/**
 * What is stored with a block at commit so that reads need not decode it. Two records, each checking itself
 * (a sha256 of the rest leads it), so damage to one is refused, never read as another digest or tx order:
 * - the block check (small, read with every block or metadata read): the digest and size of the block's
 *   bytes and the digest of its metadata (hash, commit, tx count: the commit's signatures are covered by no
 *   header);
 * - the tx check (32 bytes per tx and per result, read for a tx lookup only): its txs' hashes in block order
 *   and the leaf hashes of their results (the leaves of the header's resultsRoot, crypto/merkle.ts), so one
 *   served tx is checked for its place and its result against what the block committed.
 */
export interface BlockCheck {
  digest: Uint8Array;
  /** sha256 of the block's stored metadata. */
  metaDigest: Uint8Array;
  size: number;
}

export interface TxCheck {
  /** How many txs the block holds. */
  count: number;
  /** The hash of tx i (i below count): a view of the record, made when asked. */
  txHashAt(i: number): Uint8Array;
  /**
   * Every tx's hash in block order, in a new array of views each call. Not kept with the check: a cached check
   * holding a view per tx (~2,000 a loaded height), for each of the last TX_CHECK_CACHE heights a follower
   * read, kept that many objects in the old generation for nothing.
   */
  txHashes(): Uint8Array[];
  /**
   * The leaf hash of tx i's result (i below count), made when asked: a block read needs only the tx hashes, a
   * tx lookup one result's.
   */
  resultHashAt(i: number): Uint8Array;
}

const HASH = 32;

function sealed(rest: Uint8Array): Uint8Array {
  return concatBytes(sha256(rest), rest);
}

/** The record after its own checksum, or undefined if that fails. */
function unsealed(raw: Uint8Array): Uint8Array | undefined {
  if (raw.byteLength < HASH) return undefined;
  const rest = raw.subarray(HASH);
  return equalBytes(sha256(rest), raw.subarray(0, HASH)) ? rest : undefined;
}

export function encodeBlockCheck(blockBytes: Uint8Array, metaBytes: Uint8Array): Uint8Array {
  const rest = new Uint8Array(2 * HASH + 4);
  rest.set(sha256(blockBytes), 0);
  rest.set(sha256(metaBytes), HASH);
  new DataView(rest.buffer).setUint32(2 * HASH, blockBytes.byteLength);
  return sealed(rest);
}

/** The check back, or undefined if the record is damaged (its own checksum fails or its shape is wrong). */
export function decodeBlockCheck(raw: Uint8Array): BlockCheck | undefined {
  const rest = unsealed(raw);
  if (rest === undefined || rest.byteLength !== 2 * HASH + 4) return undefined;
  const size = new DataView(rest.buffer, rest.byteOffset, rest.byteLength).getUint32(2 * HASH);
  return { digest: rest.subarray(0, HASH), metaDigest: rest.subarray(HASH, 2 * HASH), size };
}

export function encodeTxCheck(txHashes: Uint8Array[], resultHashes: Uint8Array[]): Uint8Array {
  if (resultHashes.length !== txHashes.length) throw new Error("a tx check needs one result per tx");
  // Written in place into the one record (checksum || count || tx hashes || result hashes): no argument list
  // of 2 x 2,500 arrays, and no second copy to put the checksum in front.
  const n = txHashes.length;
  const record = new Uint8Array(HASH + 4 + 2 * n * HASH);
  new DataView(record.buffer).setUint32(HASH, n);
  for (let i = 0; i < n; i++) {
    record.set(txHashes[i], HASH + 4 + i * HASH);
    record.set(resultHashes[i], HASH + 4 + (n + i) * HASH);
  }
  record.set(sha256(record.subarray(HASH)), 0);
  return record;
}

export function decodeTxCheck(raw: Uint8Array): TxCheck | undefined {
  const rest = unsealed(raw);
  if (rest === undefined || rest.byteLength < 4) return undefined;
  const count = new DataView(rest.buffer, rest.byteOffset, rest.byteLength).getUint32(0);
  if (rest.byteLength !== 4 + 2 * count * HASH) return undefined;
  // Plain views of the record's bytes (as hashing gives; a Buffer's subarray is a Buffer, dearer to make).
  const start = rest.byteOffset + 4;
  const at = (i: number, first: number, what: string): Uint8Array => {
    if (!Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`tx check: no ${what} ${i} of ${count}`);
    return new Uint8Array(rest.buffer, start + (first + i) * HASH, HASH);
  };
  return {
    count,
    txHashAt: (i) => at(i, 0, "tx"),
    txHashes: () => {
      const hashes = new Array<Uint8Array>(count);
      for (let i = 0; i < count; i++) hashes[i] = new Uint8Array(rest.buffer, start + i * HASH, HASH);
      return hashes;
    },
    resultHashAt: (i) => at(i, count, "result"),
  };
}

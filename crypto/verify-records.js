// @ts-check
/**
 * The records the verify pool sends its workers: crypto/verify-pool.ts writes them, crypto/verify-worker.js
 * checks them, and the pool reads them back to check a dead worker's on the main thread. Each is its kind
 * (1 byte), its message's length (u32 LE), the signature (64 bytes), the public key (32), then the message.
 * Plain JavaScript, importing nothing: the worker loads it without Node's type stripper.
 */

/** The signature is over the message as it is (a 32-byte digest given by the caller). */
export const SIGNED_AS_IS = 0;
/** The signature is over the message's sha256 (a tx's sign bytes: prefix and body), made by whoever checks it. */
export const SIGNED_SHA256 = 1;
// ed25519's sizes (crypto/ed25519.ts SIGNATURE_LENGTH, PUBLIC_KEY_LENGTH: the pool refuses others before writing).
const SIGNATURE_AT = 1 + 4;
const PUBLIC_KEY_AT = SIGNATURE_AT + 64;
/** A record's bytes before its message. */
export const RECORD_HEAD = PUBLIC_KEY_AT + 32;

/**
 * The record at byte `at` of `records` (`lengths`: a DataView of the same bytes), as views of it, and where
 * the next one starts.
 * @param {Uint8Array} records
 * @param {DataView} lengths
 * @param {number} at
 */
export function recordAt(records, lengths, at) {
  const length = lengths.getUint32(at + 1, true);
  return {
    signedSha256: records[at] === SIGNED_SHA256,
    signature: records.subarray(at + SIGNATURE_AT, at + PUBLIC_KEY_AT),
    publicKey: records.subarray(at + PUBLIC_KEY_AT, at + RECORD_HEAD),
    message: records.subarray(at + RECORD_HEAD, at + RECORD_HEAD + length),
    end: at + RECORD_HEAD + length,
  };
}

/**
 * Writes a record at byte `at` of `records` (room for RECORD_HEAD and the message checked by the caller):
 * the message is `body`, after `prefix` if one is given (then the signature is over their sha256). Returns
 * where the record ends.
 * @param {Uint8Array} records
 * @param {DataView} lengths
 * @param {number} at
 * @param {Uint8Array} body
 * @param {Uint8Array | undefined} prefix
 * @param {Uint8Array} signature
 * @param {Uint8Array} publicKey
 * @returns {number}
 */
export function writeRecord(records, lengths, at, body, prefix, signature, publicKey) {
  records[at] = prefix === undefined ? SIGNED_AS_IS : SIGNED_SHA256;
  lengths.setUint32(at + 1, body.byteLength + (prefix?.byteLength ?? 0), true);
  records.set(signature, at + SIGNATURE_AT);
  records.set(publicKey, at + PUBLIC_KEY_AT);
  let end = at + RECORD_HEAD;
  if (prefix !== undefined) {
    records.set(prefix, end);
    end += prefix.byteLength;
  }
  records.set(body, end);
  return end + body.byteLength;
}

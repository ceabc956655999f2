import { hash } from "node:crypto";
import { SMALL_INPUT_MAX, sha256SmallInto } from "./sha256-small.ts";

/** Multi-part inputs up to this size are gathered in one reused buffer (tree nodes are 65-97 bytes). */
const SCRATCH_SIZE = 1024;
const scratch = new Uint8Array(SCRATCH_SIZE);

/**
 * SHA-256 over the concatenation of parts: the hot path of the state tree, merkle roots and tx hashing.
 * Inputs of at most SMALL_INPUT_MAX bytes (tree nodes, merkle nodes, keys, transfers) are hashed in JavaScript into a
 * new 32-byte array (crypto/sha256-small.ts: cheaper than node:crypto's call and its Buffer at these sizes);
 * longer ones by node:crypto's one-shot call (OpenSSL), the digest a view of the Buffer it returned. Always
 * one one-shot call: a hash object (createHash, update per part, digest) cost about twice as much per hash as
 * the hashing itself for these small inputs, so parts are gathered first.
 */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return sha256Of(parts[0]);
  let length = 0;
  for (let i = 0; i < parts.length; i++) length += parts[i].byteLength;
  const into = length <= SCRATCH_SIZE ? scratch : new Uint8Array(length);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    into.set(parts[i], at);
    at += parts[i].byteLength;
  }
  if (length <= SMALL_INPUT_MAX) return smallDigest(into, length);
  return view(hash("sha256", length === into.byteLength ? into : into.subarray(0, length), "buffer"));
}

/** sha256 of one array (no rest-parameter array for the common one-part call). */
export function sha256Of(data: Uint8Array): Uint8Array {
  if (data.byteLength <= SMALL_INPUT_MAX) return smallDigest(data, data.byteLength);
  return view(hash("sha256", data, "buffer"));
}

/** The digest of the first `length` (<= SMALL_INPUT_MAX) bytes of `data`, hashed in JavaScript into a new array. */
function smallDigest(data: Uint8Array, length: number): Uint8Array {
  const digest = new Uint8Array(32);
  sha256SmallInto(data, 0, length, digest, 0);
  return digest;
}

function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

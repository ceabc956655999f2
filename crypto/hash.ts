import { hash } from "node:crypto";

/** Multi-part inputs up to this size are gathered in one reused buffer (tree nodes are 65-97 bytes). */
const SCRATCH_SIZE = 1024;
const scratch = new Uint8Array(SCRATCH_SIZE);

/**
 * SHA-256 over the concatenation of parts. OpenSSL-backed: the hot path of the state tree and tx hashing.
 * Always one one-shot call: a hash object (createHash, update per part, digest) cost about twice as much per
 * hash as the hashing itself for these small inputs, so parts are gathered first. The digest is a view of
 * the bytes node:crypto returned, not a copy.
 */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return view(hash("sha256", parts[0], "buffer"));
  let length = 0;
  for (const p of parts) length += p.byteLength;
  const into = length <= SCRATCH_SIZE ? scratch : new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    into.set(p, at);
    at += p.byteLength;
  }
  return view(hash("sha256", into.subarray(0, length), "buffer"));
}

function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

import { createHash, hash } from "node:crypto";

/** SHA-256 over the concatenation of parts. OpenSSL-backed: the hot path of the state tree and tx hashing. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  // One part (tx hashes, addresses): the one-shot hash, cheaper than a hash object.
  if (parts.length === 1) return new Uint8Array(hash("sha256", parts[0], "buffer"));
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

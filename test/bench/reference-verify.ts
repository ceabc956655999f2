import { createPublicKey, type KeyObject, verify as opensslVerify } from "node:crypto";
import { concatBytes, shortBytesId } from "../../crypto/bytes.ts";

/**
 * The benches' yardstick: one ed25519 verify by OpenSSL through node:crypto, the public key parsed once and
 * cached. It was the node's own verify until 2026-12-07 (the node now verifies with libsodium,
 * crypto/ed25519.ts, ~0.6x of this here), and it stays the unit: the issue's goals, the work units
 * (state/work.ts: 100 units = one verify) and every figure in the README are in it. A bench that used the
 * node's verify as its unit would have moved every ratio by the change of library, not of the node.
 */
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const parsed = new Map<string, KeyObject>();

export function referenceVerify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  const id = shortBytesId(publicKey);
  let key = parsed.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.from(concatBytes(SPKI_PREFIX, publicKey)), format: "der", type: "spki" });
    parsed.set(id, key);
  }
  return opensslVerify(null, message, key, signature);
}

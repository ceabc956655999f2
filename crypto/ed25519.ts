import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { concatBytes, shortBytesId } from "./bytes.ts";
import { FifoCache } from "./fifo-cache.ts";

/**
 * ed25519 in two implementations on purpose:
 * - @noble/curves for key generation and portable signing (the CLI keyring, future browser clients);
 * - node:crypto (OpenSSL) for verification, ~14x faster here, and for bulk signing in benchmarks.
 * Both produce identical (deterministic, RFC 8032) signatures; a unit test holds them to it.
 */

export const PUBLIC_KEY_LENGTH = 32;
export const SECRET_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

export function generateSecretKey(): Uint8Array {
  return ed25519.utils.randomSecretKey();
}

export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secretKey);
}

/** Portable signing (pure JavaScript). */
export function signPortable(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

// DER prefixes for raw ed25519 keys (RFC 8410): SPKI for public keys, PKCS#8 for private seeds.
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/**
 * Parsed public keys are cached: parsing costs about as much as a verification. Bounded, oldest out. This
 * thread's cache holds the validators' keys (votes, proposals) and those of `tx_simulate` calls, and the
 * senders' when no verify pool runs; a parsed key costs ~0.3 KB of resident memory (crypto/verify-worker.js
 * measured it), so the worker's bound, 16,384 (~5 MB), is this one's too: at 100,000, anyone calling
 * `tx_simulate` with new keys could make it ~30 MB.
 */
const KEY_CACHE_LIMIT = 16_384;
const keyCache = new FifoCache<string, KeyObject>(KEY_CACHE_LIMIT);

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = shortBytesId(publicKey);
  let key = keyCache.get(id);
  if (key === undefined) {
    key = createPublicKey({
      key: Buffer.from(concatBytes(SPKI_PREFIX, publicKey)),
      format: "der",
      type: "spki",
    });
    keyCache.set(id, key);
  }
  return key;
}

export function privateKeyObject(secretKey: Uint8Array): KeyObject {
  return createPrivateKey({
    key: Buffer.from(concatBytes(PKCS8_PREFIX, secretKey)),
    format: "der",
    type: "pkcs8",
  });
}

/** Fast signing through OpenSSL, for code that only ever runs on Node (benchmarks, the node's own votes). */
export function signFast(message: Uint8Array, key: KeyObject): Uint8Array {
  return new Uint8Array(nodeSign(null, message, key));
}

function validShapes(publicKey: Uint8Array, signature: Uint8Array): boolean {
  return publicKey.byteLength === PUBLIC_KEY_LENGTH && signature.byteLength === SIGNATURE_LENGTH;
}

/** Synchronous verification on the calling thread. Never throws: a malformed key is just "not valid". */
export function verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (!validShapes(publicKey, signature)) return false;
  try {
    return nodeVerify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}

/**
 * Verification on libuv's thread pool, so admission uses every core while the main thread keeps serving.
 */
export function verifyAsync(
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): Promise<boolean> {
  if (!validShapes(publicKey, signature)) return Promise.resolve(false);
  let key: KeyObject;
  try {
    key = publicKeyObject(publicKey);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    nodeVerify(null, message, key, signature, (err, ok) => resolve(err === null && ok));
  });
}

import { createPrivateKey, type KeyObject, sign as nodeSign } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import sodium from "sodium-native";
import { concatBytes } from "./bytes.ts";

/**
 * ed25519 in three implementations on purpose:
 * - @noble/curves for key generation and portable signing (the CLI keyring, future browser clients);
 * - libsodium (sodium-native) for every verification: 0.6x the CPU of OpenSSL's through node:crypto here
 *   (45 against 75 us, measured side by side), with no parsed key to cache;
 * - node:crypto (OpenSSL) for bulk signing in benchmarks and the node's own votes.
 * All produce identical (deterministic, RFC 8032) signatures; a unit test holds them to it.
 *
 * What a valid signature is, is a consensus rule (docs/encoding.md ED25519-SIGNATURE): libsodium's
 * crypto_sign_verify_detached, which refuses a non-canonical S (S >= L), an R or public key of small order,
 * and a non-canonical public key, and checks R = [S]B - [k]A byte for byte (no cofactor). Every check in the
 * node goes through `verify` here or crypto/verify-worker.js, which call the same function.
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

// The DER prefix of a raw ed25519 private seed (RFC 8410 PKCS#8).
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

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
  return sodium.crypto_sign_verify_detached(signature, message, publicKey);
}

/**
 * `verify` as a promise, for the callers that take either a verify worker's answer or this one: it runs on the
 * calling thread. libsodium has no asynchronous verify, and node:crypto's (on libuv's pool) is OpenSSL's: another
 * implementation, and which signatures are valid must never depend on which path checked them.
 */
export function verifyAsync(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  return Promise.resolve(verify(message, signature, publicKey));
}

/**
 * The part of sodium-native (libsodium's bindings; the package ships no types) that the node uses. Only
 * crypto/ed25519.ts and crypto/verify-worker.js import it, so that every signature check follows one rule.
 */
declare module "sodium-native" {
  interface Sodium {
    /** libsodium's crypto_sign_verify_detached: `signature` (64 bytes) by `publicKey` (32) over `message`. */
    crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
    /** libsodium's crypto_hash_sha256: sha256(`input`) written into `out` (exactly 32 bytes). */
    crypto_hash_sha256(out: Uint8Array, input: Uint8Array): void;
  }
  const sodium: Sodium;
  export default sodium;
}

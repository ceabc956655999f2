import { sha512 } from "@noble/hashes/sha2.js";
import { ED25519_TORSION_SUBGROUP, ed25519 } from "@noble/curves/ed25519.js";
import { expect, test } from "vitest";
import { concatBytes } from "../../crypto/bytes.ts";
import { generateSecretKey, publicKeyOf, signPortable, verify } from "../../crypto/ed25519.ts";
import { VerifyPool } from "../../crypto/verify-pool.ts";

/**
 * Which signatures are valid is a consensus rule (docs/encoding.md ED25519-SIGNATURE), so every path that
 * checks one must give the same answer: the main thread's `verify` and a verify worker (crypto/verify-worker.js)
 * on the cases where ed25519 implementations are known to differ.
 */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const mod = (n: bigint) => ((n % L) + L) % L;
const le = (n: bigint) => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
};
const scalarOf = (bytes: Uint8Array) => bytes.reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n);

/**
 * A signature made with a public key that carries a point of order 8 (A' = A + T): [S]B - [k]A' = R - [k]T, so
 * it is valid under the cofactored equation ([8]R' = [8]R, as ZIP-215 and @noble's default accept) and not
 * under the byte-for-byte one the chain uses, unless k is a multiple of 8 (the message is chosen so it is not).
 */
function mixedOrderKeySignature(): { message: Uint8Array; signature: Uint8Array; publicKey: Uint8Array } {
  const { scalar } = ed25519.utils.getExtendedPublicKey(generateSecretKey());
  const torsion = ed25519.Point.fromHex(ED25519_TORSION_SUBGROUP[1]);
  const publicKey = ed25519.Point.BASE.multiply(scalar).add(torsion).toBytes();
  const r = 12345n;
  const R = ed25519.Point.BASE.multiply(r).toBytes();
  for (let i = 0; ; i++) {
    const message = new Uint8Array(32).fill(i);
    const k = mod(scalarOf(sha512(concatBytes(R, publicKey, message))));
    if (k % 8n === 0n) continue;
    return { message, signature: concatBytes(R, le(mod(r + k * scalar))), publicKey };
  }
}

/**
 * A signature whose R is the identity (a point of small order), made by the key's owner: S = k * a, so
 * [S]B - [k]A is the identity and the equation holds; refused for R alone.
 */
function identityRSignature(): { message: Uint8Array; signature: Uint8Array; publicKey: Uint8Array } {
  const { scalar, pointBytes: publicKey } = ed25519.utils.getExtendedPublicKey(generateSecretKey());
  const R = new Uint8Array(32);
  R[0] = 1;
  const message = new Uint8Array(32).fill(5);
  const k = mod(scalarOf(sha512(concatBytes(R, publicKey, message))));
  return { message, signature: concatBytes(R, le(mod(k * scalar))), publicKey };
}

test("the main thread and a verify worker accept and refuse the same signatures", async () => {
  const secret = generateSecretKey();
  const publicKey = publicKeyOf(secret);
  const message = new Uint8Array(32).fill(7);
  const signature = signPortable(message, secret);
  const S = scalarOf(signature.subarray(32));
  const identity = new Uint8Array(32);
  identity[0] = 1;
  const orderTwo = new Uint8Array(32).fill(0xff);
  orderTwo[0] = 0xec;
  orderTwo[31] = 0x7f;
  const identitySignature = concatBytes(identity, new Uint8Array(32)); // R = identity, S = 0
  const mixed = mixedOrderKeySignature();
  const identityR = identityRSignature();
  // The identity's encoding with y = p + 1 (not canonical: y >= p).
  const nonCanonical = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0xee : i === 31 ? 0x7f : 0xff));
  const notOnCurve = new Uint8Array(32).fill(0);
  notOnCurve[0] = 2; // y = 2 has no x on the curve

  const cases: [string, Uint8Array, Uint8Array, Uint8Array, boolean][] = [
    ["a valid signature", message, signature, publicKey, true],
    ["another message", new Uint8Array(32).fill(8), signature, publicKey, false],
    ["S + L for S (not canonical)", message, concatBytes(signature.subarray(0, 32), le(S + L)), publicKey, false],
    ["the identity as public key, R = identity, S = 0", message, identitySignature, identity, false],
    ["the point of order 2 as public key", message, identitySignature, orderTwo, false],
    ["a key with a point of order 8 added (valid only cofactored)", mixed.message, mixed.signature, mixed.publicKey, false],
    ["a key that is not a curve point", message, signature, notOnCurve, false],
    ["R the identity, by the key's owner (S = k * a)", identityR.message, identityR.signature, identityR.publicKey, false],
    ["a key encoded not canonically (y = p + 1)", message, identitySignature, nonCanonical, false],
  ];
  // Other rules accept these: real differences between implementations, not typos in the cases.
  expect(ed25519.verify(mixed.signature, mixed.message, mixed.publicKey, { zip215: true })).toBe(true);
  expect(ed25519.verify(identityR.signature, identityR.message, identityR.publicKey, { zip215: false })).toBe(true);

  const pool = new VerifyPool(1);
  try {
    for (const [what, m, sig, key, valid] of cases) {
      expect(verify(m, sig, key), `main thread: ${what}`).toBe(valid);
      expect(await pool.verify(m, sig, key), `verify worker: ${what}`).toBe(valid);
    }
  } finally {
    await pool.close();
  }
});

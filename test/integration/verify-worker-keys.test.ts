import { generateKeyPairSync, sign } from "node:crypto";
import { expect, test } from "vitest";
import { VerifyPool } from "../../crypto/verify-pool.ts";
import { KEY_CACHE_LIMIT } from "../../crypto/verify-worker.js";

/**
 * A verify worker keeps KEY_CACHE_LIMIT public keys parsed, the oldest out first (a ring of their ids in
 * crypto/verify-worker.js). Past the limit every key still verifies: the cache's evictions leave it correct,
 * a key evicted is parsed again, and a forgery with a key it holds is still refused.
 */
test("a verify worker answers rightly for more senders than it keeps parsed", async () => {
  const message = new Uint8Array(32).fill(9);
  const senders = Array.from({ length: KEY_CACHE_LIMIT + 500 }, () => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    // The raw key is the last 32 bytes of its SPKI encoding.
    const raw = new Uint8Array(publicKey.export({ format: "der", type: "spki" }).subarray(12));
    return { publicKey: raw, signature: new Uint8Array(sign(null, message, privateKey)) };
  });
  const pool = new VerifyPool(1);
  try {
    const all = await Promise.all(senders.map((s) => pool.verify(message, s.signature, s.publicKey)));
    expect(all.every(Boolean)).toBe(true);
    // The first senders' keys were evicted; the last ones' are held.
    const first = senders[0];
    const last = senders[senders.length - 1];
    expect(await pool.verify(message, first.signature, first.publicKey)).toBe(true);
    expect(await pool.verify(message, last.signature, last.publicKey)).toBe(true);
    expect(await pool.verify(message, first.signature, last.publicKey)).toBe(false);
  } finally {
    await pool.close();
  }
}, 60_000);

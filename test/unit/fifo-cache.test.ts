import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { senderOf } from "../../crypto/address.ts";
import { shortBytesId } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { FifoCache } from "../../crypto/fifo-cache.ts";

describe("FifoCache", () => {
  it("holds at most its limit and forgets the oldest first; a hit does not refresh, a known key keeps its place", () => {
    const cache = new FifoCache<string, number>(3);
    for (const [i, k] of ["a", "b", "c"].entries()) cache.set(k, i);
    expect(cache.get("a")).toBe(0); // a hit: a stays the oldest
    cache.set("b", 10); // known: its value changes, its place does not
    cache.set("d", 3); // evicts a
    expect(["a", "b", "c", "d"].map((k) => cache.get(k))).toEqual([undefined, 10, 2, 3]);
    cache.set("e", 4); // evicts b
    expect(["b", "c", "d", "e"].map((k) => cache.has(k))).toEqual([false, true, true, true]);
    expect(cache.size).toBe(3);
    expect(() => new FifoCache(0)).toThrow(RangeError);
  });
});

describe("senderOf at its cache's limit", () => {
  it("costs a new sender about what deriving its address costs, once the cache is full and evicting", () => {
    // 50,000 senders (ADDRESS_CACHE_LIMIT) fill the cache; each later new sender evicts the oldest. A stranger
    // can send txs from ever new keys (decoding a tx derives its sender before any check), so an eviction must
    // cost little next to the derivation itself (a sha256 and an id string). Evicting a Map's keys().next()
    // cost 5-10 us more per new sender here: ~4x the derivation.
    const keys = Array.from({ length: 90_000 }, () => new Uint8Array(randomBytes(32)));
    let at = 0;
    const perSenderUs = (count: number) => {
      const t0 = performance.now();
      for (let i = 0; i < count; i++) senderOf(keys[at++]);
      return ((performance.now() - t0) * 1000) / count;
    };
    const derivationUs = (count: number) => {
      const t0 = performance.now();
      let n = 0;
      for (let i = 0; i < count; i++) n += shortBytesId(sha256(keys[i]).subarray(0, 20)).length;
      expect(n).toBe(20 * count);
      return ((performance.now() - t0) * 1000) / count;
    };
    perSenderUs(50_000); // full
    const evicting = Math.min(perSenderUs(20_000), perSenderUs(20_000));
    const derivation = Math.min(derivationUs(20_000), derivationUs(20_000));
    expect(evicting).toBeLessThan(2.5 * derivation + 0.5);
  });
});

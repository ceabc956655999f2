import { describe, expect, it } from "vitest";
import { decodeAccount, encodeAccount } from "../../proto/records.ts";
import { ByteBoundedCache, entryBytes } from "../../state/store/value-cache.ts";
import type { RecordCodec } from "../../state/view.ts";

const ACCOUNT: RecordCodec<{ nonce: number; balance: bigint }> = { decode: decodeAccount, encode: encodeAccount };

function idOf(i: number): string {
  return `acct/${i.toString().padStart(20, "0")}`;
}

describe("the latest-value cache is bounded in bytes", () => {
  it("never counts more than its bound, records included, however many values pass through it", () => {
    const max = 64 * 1024;
    const cache = new ByteBoundedCache(max);
    for (let i = 0; i < 10_000; i++) {
      const value = encodeAccount({ nonce: i, balance: BigInt(i) * 1000n });
      const entry = cache.set(idOf(i), value);
      if (i % 2 === 0) cache.setRecord(idOf(i), entry, ACCOUNT as RecordCodec<unknown>, decodeAccount(value));
      expect(cache.bytes).toBeLessThanOrEqual(max);
    }
    // What it holds is what it counts: the estimate of each entry held, record or not.
    const perEntry = entryBytes(idOf(0), encodeAccount({ nonce: 1, balance: 1000n }), true);
    expect(cache.size).toBeGreaterThan(max / 2 / perEntry - 1);
    expect(cache.size).toBeLessThanOrEqual(Math.ceil(max / entryBytes(idOf(0), new Uint8Array(1), false)));
  });

  it("keeps what was read recently and drops what was not", () => {
    const value = encodeAccount({ nonce: 1, balance: 5n });
    const per = entryBytes(idOf(0), value, false);
    const cache = new ByteBoundedCache(per * 100);
    for (let i = 0; i < 40; i++) cache.set(idOf(i), value);
    // Entry 0 is read at every step: it stays however much else passes through.
    for (let i = 40; i < 1000; i++) {
      cache.set(idOf(i), value);
      expect(cache.get(idOf(0))?.value).toEqual(value);
    }
    expect(cache.get(idOf(1))).toBeUndefined();
    expect(cache.get(idOf(999))?.value).toEqual(value);
  });

  it("replacing or deleting an entry gives back its bytes; a known absence is held too", () => {
    const cache = new ByteBoundedCache(1024 * 1024);
    cache.set("a", new Uint8Array(100));
    cache.set("a", new Uint8Array(10));
    expect(cache.bytes).toBe(entryBytes("a", new Uint8Array(10), false));
    cache.set("b", undefined);
    expect(cache.get("b")).toEqual(expect.objectContaining({ value: undefined }));
    cache.delete("a");
    cache.delete("b");
    expect(cache.bytes).toBe(0);
    expect(cache.size).toBe(0);
  });
});

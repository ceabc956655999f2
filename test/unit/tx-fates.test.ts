import { describe, expect, it } from "vitest";
import { MAX_TX_FATES, TX_FATE_TTL_MS, TxFates } from "../../node/tx-fates.ts";

const hash = (i: number) => i.toString(16).padStart(64, "0");
const fate = { status: "evicted", reason: "TTL", message: "waited too long", height: 5 } as const;

describe("TxFates (what became of recent transactions)", () => {
  it("remembers a fate by hash, with when it was recorded", () => {
    let now = 1_000;
    const fates = new TxFates({ now: () => now });
    fates.record(hash(1), fate);
    now += 10;
    expect(fates.get(hash(1))).toEqual({ ...fate, atMs: 1_000 });
    expect(fates.get(hash(2))).toBeUndefined();
  });

  it("holds at most MAX_TX_FATES: the oldest go first", () => {
    const fates = new TxFates({ now: () => 0 });
    for (let i = 0; i < MAX_TX_FATES + 500; i++) fates.record(hash(i), fate);
    expect(fates.size).toBe(MAX_TX_FATES);
    expect(fates.get(hash(0))).toBeUndefined();
    expect(fates.get(hash(499))).toBeUndefined();
    expect(fates.get(hash(500))).toBeDefined();
    expect(fates.get(hash(MAX_TX_FATES + 499))).toBeDefined();
  });

  it("forgets a fate after TX_FATE_TTL_MS, and lets the old ones go as new ones come", () => {
    let now = 0;
    const fates = new TxFates({ now: () => now });
    for (let i = 0; i < 100; i++) fates.record(hash(i), fate);
    now = TX_FATE_TTL_MS - 1;
    expect(fates.get(hash(7))).toBeDefined();
    now = TX_FATE_TTL_MS + 1;
    expect(fates.get(hash(7))).toBeUndefined();
    fates.record(hash(1000), fate);
    expect(fates.size).toBe(1); // the expired ones were let go, not only hidden
  });

  it("a later fate of the same hash replaces the earlier one (and counts once)", () => {
    const fates = new TxFates({ now: () => 0 });
    fates.record(hash(1), fate);
    fates.record(hash(1), { ...fate, status: "rejected", reason: "NONCE_USED" });
    expect(fates.size).toBe(1);
    expect(fates.get(hash(1))?.status).toBe("rejected");
  });

  it("takes smaller bounds for tests and refuses nonsense ones", () => {
    const fates = new TxFates({ now: () => 0, maxEntries: 2 });
    for (let i = 0; i < 3; i++) fates.record(hash(i), fate);
    expect(fates.size).toBe(2);
    expect(() => new TxFates({ maxEntries: 0 })).toThrow(/maxEntries/);
  });
});

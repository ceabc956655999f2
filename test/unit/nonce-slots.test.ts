import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { NonceSlots } from "../../node/nonce-slots.ts";

describe("NonceSlots", () => {
  it("holds entries by nonce and gives them back in ascending order, whatever order they came in", () => {
    const s = new NonceSlots<string>();
    for (const n of [5, 3, 9, 4]) s.set(n, `tx${n}`);
    expect(s.size).toBe(4);
    expect(s.get(9)).toBe("tx9");
    expect(s.get(6)).toBeUndefined();
    expect(s.get(2)).toBeUndefined();
    expect(s.highestNonce).toBe(9);
    expect([...s.keys()]).toEqual([3, 4, 5, 9]);
    expect([...s]).toEqual([[3, "tx3"], [4, "tx4"], [5, "tx5"], [9, "tx9"]]);
  });

  it("moves its ends in as the least and the greatest nonces leave, and is empty after the last", () => {
    const s = new NonceSlots<string>();
    for (const n of [10, 11, 12, 20]) s.set(n, `tx${n}`);
    expect(s.delete(10)).toBe(true);
    expect(s.delete(20)).toBe(true);
    expect(s.highestNonce).toBe(12);
    expect(s.delete(20)).toBe(false); // gone already
    expect([...s.keys()]).toEqual([11, 12]);
    s.delete(11);
    s.delete(12);
    expect(s.size).toBe(0);
    expect(s.highestNonce).toBeUndefined();
    expect([...s]).toEqual([]);
    s.set(1_000, "again"); // an empty ring starts over at any nonce
    expect([...s.keys()]).toEqual([1_000]);
  });

  it("grows to a span wider than its ring, and keeps nonces past 2^32 apart", () => {
    const s = new NonceSlots<number>();
    const base = 2 ** 32 - 3; // the slot index wraps the 32-bit boundary inside the span
    for (let i = 0; i < 1_000; i += 7) s.set(base + i, i);
    for (let i = 0; i < 1_000; i++) expect(s.get(base + i)).toBe(i % 7 === 0 ? i : undefined);
    expect(s.size).toBe(Math.ceil(1_000 / 7));
  });

  it("lets the reader delete the nonce it was given while walking", () => {
    const s = new NonceSlots<number>();
    for (let n = 0; n < 10; n++) s.set(n, n);
    const seen: number[] = [];
    for (const [n] of s) {
      seen.push(n);
      if (n % 3 === 0) s.delete(n);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...s.keys()]).toEqual([1, 2, 4, 5, 7, 8]);
  });

  it("refuses what is not a nonce", () => {
    const s = new NonceSlots<number>();
    expect(() => s.set(-1, 0)).toThrow(RangeError);
    expect(() => s.set(1.5, 0)).toThrow(RangeError);
  });

  it("matches a Map under any sequence of sets and deletes within a sender's span", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2 ** 40 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 300 })), { maxLength: 400 }),
        (base, ops) => {
          const s = new NonceSlots<number>();
          const model = new Map<number, number>();
          for (const [isSet, offset] of ops) {
            const nonce = base + offset;
            if (isSet) {
              s.set(nonce, offset);
              model.set(nonce, offset);
            } else {
              expect(s.delete(nonce)).toBe(model.delete(nonce));
            }
            expect(s.size).toBe(model.size);
          }
          const sorted = [...model.keys()].sort((a, b) => a - b);
          expect([...s.keys()]).toEqual(sorted);
          expect(s.highestNonce).toBe(sorted.at(-1));
          for (let offset = 0; offset <= 300; offset++) expect(s.get(base + offset)).toBe(model.get(base + offset));
        },
      ),
    );
  });
});

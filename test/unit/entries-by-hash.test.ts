import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { type AdmissionLinks, EntriesByHash } from "../../node/entries-by-hash.ts";

interface TestEntry extends AdmissionLinks<TestEntry> {
  tx: { id: string };
}

const idOf = (n: number) => n.toString(16).padStart(64, "0");
const entry = (n: number): TestEntry => ({ tx: { id: idOf(n) }, older: undefined, newer: undefined });
const ids = (t: EntriesByHash<TestEntry>) => [...t.values()].map((e) => e.tx.id);

describe("EntriesByHash", () => {
  it("finds entries by tx id and gives them back oldest first", () => {
    const t = new EntriesByHash<TestEntry>();
    const [a, b, c] = [entry(1), entry(2), entry(3)];
    t.add(a);
    t.add(b);
    t.add(c);
    expect(t.size).toBe(3);
    expect(t.get(idOf(2))).toBe(b);
    expect(t.has(idOf(4))).toBe(false);
    expect(t.oldest).toBe(a);
    expect(ids(t)).toEqual([idOf(1), idOf(2), idOf(3)]);
  });

  it("keeps the order of the rest when the oldest, a middle or the newest entry leaves", () => {
    const t = new EntriesByHash<TestEntry>();
    for (let n = 1; n <= 5; n++) t.add(entry(n));
    expect(t.delete(idOf(3))?.tx.id).toBe(idOf(3));
    expect(t.delete(idOf(1))?.tx.id).toBe(idOf(1));
    expect(t.delete(idOf(5))?.tx.id).toBe(idOf(5));
    expect(t.delete(idOf(5))).toBeUndefined(); // gone already
    expect(ids(t)).toEqual([idOf(2), idOf(4)]);
    expect(t.oldest?.tx.id).toBe(idOf(2));
    t.add(entry(6)); // after the newest left, a new one is still appended at the end
    expect(ids(t)).toEqual([idOf(2), idOf(4), idOf(6)]);
  });

  it("lets the reader drop the entry it was given while walking (as the TTL's expiry does)", () => {
    const t = new EntriesByHash<TestEntry>();
    for (let n = 1; n <= 6; n++) t.add(entry(n));
    const seen: string[] = [];
    for (const e of t.values()) {
      seen.push(e.tx.id);
      if (Number.parseInt(e.tx.id, 16) % 2 === 1) t.delete(e.tx.id);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6].map(idOf));
    expect(ids(t)).toEqual([2, 4, 6].map(idOf));
  });

  it("refuses a tx id it holds already, and stays as it was", () => {
    const t = new EntriesByHash<TestEntry>();
    const first = entry(7);
    t.add(first);
    expect(() => t.add(entry(7))).toThrow(/already/);
    expect(t.get(idOf(7))).toBe(first);
    expect(ids(t)).toEqual([idOf(7)]);
  });

  it("matches an insertion-ordered Map under any sequence of adds and deletes", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { maxLength: 300 }), (ops) => {
        const t = new EntriesByHash<TestEntry>();
        const model = new Map<string, TestEntry>();
        for (const [isAdd, n] of ops) {
          const id = idOf(n);
          if (isAdd && !model.has(id)) {
            const e = entry(n);
            t.add(e);
            model.set(id, e);
          } else if (!isAdd) {
            expect(t.delete(id)).toBe(model.get(id));
            model.delete(id);
          }
          expect(t.size).toBe(model.size);
        }
        expect(ids(t)).toEqual([...model.keys()]);
        expect(t.oldest).toBe(model.values().next().value);
        for (const [id, e] of model) expect(t.get(id)).toBe(e);
      }),
    );
  });
});

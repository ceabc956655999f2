import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareBytes, toHex } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { EMPTY_HASH, SparseMerkleTree, treePath, valueHash } from "../../state/smt.ts";

/** The tree's definition, computed directly from the set of entries (no incremental structure). */
function referenceRoot(entries: Map<string, Uint8Array>): Uint8Array {
  const leaves = [...entries.entries()]
    .map(([k, v]) => ({ path: treePath(Buffer.from(k)), vh: valueHash(v) }))
    .sort((a, b) => compareBytes(a.path, b.path));
  const bitOf = (p: Uint8Array, d: number) => (p[d >> 3] >> (7 - (d & 7))) & 1;
  const go = (items: typeof leaves, depth: number): Uint8Array => {
    if (items.length === 0) return EMPTY_HASH;
    if (items.length === 1) return sha256(Uint8Array.of(0), items[0].path, items[0].vh);
    const left = items.filter((i) => bitOf(i.path, depth) === 0);
    const right = items.filter((i) => bitOf(i.path, depth) === 1);
    return sha256(Uint8Array.of(1), go(left, depth + 1), go(right, depth + 1));
  };
  return go(leaves, 0);
}

const enc = (s: string) => new TextEncoder().encode(s);
const update = (k: string, v: string | null) => ({
  path: treePath(enc(k)),
  valueHash: v === null ? null : valueHash(enc(v)),
});

describe("sparse Merkle tree", () => {
  it("is empty-hash when empty and changes with every write", () => {
    const t0 = SparseMerkleTree.empty();
    expect(t0.rootHash).toEqual(EMPTY_HASH);
    const t1 = t0.apply([update("a", "1")]);
    const t2 = t1.apply([update("a", "2")]);
    expect(toHex(t1.rootHash)).not.toBe(toHex(t0.rootHash));
    expect(toHex(t2.rootHash)).not.toBe(toHex(t1.rootHash));
    expect(t2.lookup(treePath(enc("a")))).toEqual(valueHash(enc("2")));
  });

  it("is persistent: applying writes leaves the old version intact", () => {
    const t1 = SparseMerkleTree.empty().apply([update("a", "1"), update("b", "2")]);
    const before = toHex(t1.rootHash);
    const t2 = t1.apply([update("a", null), update("c", "3")]);
    expect(toHex(t1.rootHash)).toBe(before);
    expect(t1.lookup(treePath(enc("a")))).toBeDefined();
    expect(t2.lookup(treePath(enc("a")))).toBeUndefined();
  });

  it("matches the reference definition and ignores write order, over random workloads", () => {
    const op = fc.tuple(
      fc.constantFrom(..."abcdefghijklmnop".split("")),
      fc.option(fc.string({ maxLength: 3 })),
    );
    fc.assert(
      fc.property(fc.array(fc.array(op, { maxLength: 12 }), { maxLength: 8 }), (batches) => {
        let tree = SparseMerkleTree.empty();
        const model = new Map<string, Uint8Array>();
        for (const batch of batches) {
          tree = tree.apply(batch.map(([k, v]) => update(k, v)));
          for (const [k, v] of batch) {
            if (v === null) model.delete(k);
            else model.set(k, enc(v));
          }
          expect(toHex(tree.rootHash)).toBe(toHex(referenceRoot(model)));
        }
        const rebuilt = SparseMerkleTree.fromEntries(
          [...model.entries()]
            .reverse()
            .map(([k, v]) => ({ path: treePath(enc(k)), valueHash: valueHash(v) })),
        );
        expect(toHex(rebuilt.rootHash)).toBe(toHex(tree.rootHash));
      }),
      { numRuns: 300 },
    );
  });

  it("deleting everything returns to the empty root", () => {
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    const full = SparseMerkleTree.empty().apply(keys.map((k) => update(k, k)));
    const empty = full.apply(keys.map((k) => update(k, null)));
    expect(empty.rootHash).toEqual(EMPTY_HASH);
  });
});

describe("sparse Merkle tree updates by path value, not object identity", () => {
  it("an update that reuses the stored path object still replaces the value", () => {
    const path = treePath(enc("k"));
    const t1 = SparseMerkleTree.empty().apply([{ path, valueHash: valueHash(enc("v1")) }]);
    const t2 = t1.apply([{ path, valueHash: valueHash(enc("v2")) }]);
    expect(t2.lookup(path)).toEqual(valueHash(enc("v2")));
    const fresh = SparseMerkleTree.empty().apply([{ path: treePath(enc("k")), valueHash: valueHash(enc("v2")) }]);
    expect(toHex(t2.rootHash)).toBe(toHex(fresh.rootHash));
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import { SparseMerkleTree, treePath, valueHash } from "../../state/smt.ts";
import { MemoryNodeStore } from "../../state/tree/memory-store.ts";
import { NodeCache } from "../../state/tree/node-cache.ts";
import { NodeReader } from "../../state/tree/node-reader.ts";
import { proveFrom } from "../../state/tree/proof.ts";
import { VersionedTree } from "../../state/tree/versioned-tree.ts";
import { proofHolds } from "../helpers/proof-check.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const update = (k: string, v: string | null) => ({
  path: treePath(enc(k)),
  valueHash: v === null ? null : valueHash(enc(v)),
});

function emptyTree(cacheBytes?: number) {
  const store = new MemoryNodeStore();
  const reader = new NodeReader(store, new NodeCache(cacheBytes));
  const genesis = new VersionedTree(reader, -1, null).candidate([], [], 0);
  store.write(genesis.ops());
  return { store, reader, tree: VersionedTree.open(reader, 0) };
}

describe("versioned state tree on disk", () => {
  it("has the in-memory tree's root after every block of random updates and deletes, and proves every key at every past version", () => {
    const op = fc.tuple(fc.constantFrom(..."abcdefghijklmnopqrst".split("")), fc.option(fc.string({ maxLength: 3 })));
    const blocks = fc.array(fc.array(op, { maxLength: 14 }), { maxLength: 8 });
    fc.assert(
      fc.property(blocks, fc.integer({ min: 1, max: 4000 }), (batches, cacheKb) => {
        // A small cache too: reads then come from the store, as after a restart.
        const { store, reader, tree: start } = emptyTree(cacheKb * 16);
        let tree = start;
        let reference = SparseMerkleTree.empty();
        const models: Map<string, string>[] = [new Map()];
        for (const batch of batches) {
          const updates = batch.map(([k, v]) => update(k, v));
          reference = reference.apply(updates);
          const c = tree.candidate(updates);
          expect(toHex(c.rootHash)).toBe(toHex(reference.rootHash));
          store.write(c.ops());
          tree = tree.commit(c);
          const model = new Map(models[models.length - 1]);
          for (const [k, v] of batch) {
            if (v === null) model.delete(k);
            else model.set(k, v);
          }
          models.push(model);
        }
        // Every version is still there, from disk, and proves both present and absent keys.
        for (let version = 0; version < models.length; version++) {
          const at = VersionedTree.open(reader, version);
          for (const k of "abcdefghijklmnopqrstuvwxyz") {
            const value = models[version].get(k);
            const proof = proveFrom(reader, at.root, treePath(enc(k)));
            expect(proofHolds(at.rootHash, enc(k), value === undefined ? undefined : enc(value), proof)).toBe(true);
            expect(proofHolds(at.rootHash, enc(k), enc(`${value ?? ""}x`), proof)).toBe(false);
            expect(at.lookup(treePath(enc(k)))).toEqual(value === undefined ? undefined : valueHash(enc(value)));
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it("lets several candidates on one base be built and dropped without touching the base or each other", () => {
    const { store, tree } = emptyTree();
    const c1 = tree.candidate([update("a", "1"), update("b", "2"), update("c", "3")]);
    store.write(c1.ops());
    const base = tree.commit(c1);
    const before = store.size;
    const x = base.candidate([update("a", "x"), update("d", "4")]);
    const y = base.candidate([update("a", "y"), update("b", null)]);
    expect(store.size).toBe(before);
    expect(toHex(x.rootHash)).toBe(toHex(SparseMerkleTree.empty().apply([update("a", "x"), update("b", "2"), update("c", "3"), update("d", "4")]).rootHash));
    expect(toHex(y.rootHash)).toBe(toHex(SparseMerkleTree.empty().apply([update("a", "y"), update("c", "3")]).rootHash));
    expect(base.lookup(treePath(enc("a")))).toEqual(valueHash(enc("1")));
    // y commits, x is dropped: the next version is y's.
    store.write(y.ops());
    const next = base.commit(y);
    expect(next.lookup(treePath(enc("b")))).toBeUndefined();
    expect(() => next.commit(x)).toThrow(/built on version/);
  });

  it("keeps its hot-node cache within the bytes it is given", () => {
    const bound = 64 * 1024;
    const { store, reader, tree: start } = emptyTree(bound);
    let tree = start;
    for (let b = 0; b < 20; b++) {
      const c = tree.candidate(Array.from({ length: 200 }, (_, i) => update(`k${b}-${i}`, `v${i}`)));
      store.write(c.ops());
      tree = tree.commit(c);
      expect(reader.cache.bytes).toBeLessThanOrEqual(bound);
    }
    expect(reader.cache.size).toBeGreaterThan(10);
    // Everything still reads correctly through the small cache.
    for (let i = 0; i < 200; i += 17) expect(tree.lookup(treePath(enc(`k3-${i}`)))).toEqual(valueHash(enc(`v${i}`)));
    expect(reader.cache.bytes).toBeLessThanOrEqual(bound);
  });
});

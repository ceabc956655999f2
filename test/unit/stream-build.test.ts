import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareBytes, toHex } from "../../crypto/bytes.ts";
import { SparseMerkleTree } from "../../state/smt.ts";
import { MemoryNodeStore } from "../../state/tree/memory-store.ts";
import { NodeCache } from "../../state/tree/node-cache.ts";
import { NodeReader } from "../../state/tree/node-reader.ts";
import { buildTreeStreaming, STREAM_BUILD_BATCH_RECORDS, UnsortedStreamError } from "../../state/tree/stream-build.ts";
import { type TreePut, VersionedTree } from "../../state/tree/versioned-tree.ts";

interface Entry {
  path: Uint8Array;
  valueHash: Uint8Array;
}

/** Paths that often share long prefixes: a common stem, then a few differing bits at a chosen depth. */
const path = fc
  .tuple(
    fc.constantFrom(0x00, 0x5a, 0xff),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 31 }),
  )
  .map(([stem, bitPos, flip, tailByte]) => {
    const p = new Uint8Array(32).fill(stem);
    p[bitPos >> 3] ^= 0x80 >> (bitPos & 7);
    p[tailByte] ^= flip;
    return p;
  });
const randomPath = fc.uint8Array({ minLength: 32, maxLength: 32 });
const entry = fc.record({
  path: fc.oneof(path, randomPath),
  valueHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});

function sortedDistinct(entries: Entry[]): Entry[] {
  const byPath = new Map<string, Entry>();
  for (const e of entries) byPath.set(toHex(e.path), e);
  return [...byPath.values()].sort((a, b) => compareBytes(a.path, b.path));
}

async function* stream(entries: Entry[]): AsyncIterable<Entry> {
  for (const e of entries) yield await Promise.resolve(e);
}

async function streamed(entries: Entry[], version: number): Promise<{ batches: TreePut[][]; root: Uint8Array }> {
  const batches: TreePut[][] = [];
  const root = await buildTreeStreaming(stream(entries), version, async (ops) => {
    batches.push(ops);
    await Promise.resolve();
  });
  return { batches, root };
}

const show = (ops: TreePut[]) => ops.map((o) => `${toHex(o.key)}=${toHex(o.value)}`);

describe("streaming build of a whole state tree", () => {
  it("writes exactly the records a candidate on the empty tree writes, with the in-memory tree's root", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 40 }), fc.integer({ min: 0, max: 1000 }), async (raw, version) => {
        const entries = sortedDistinct(raw);
        const reader = new NodeReader(new MemoryNodeStore(), new NodeCache());
        const expected = new VersionedTree(reader, -1, null).candidate(entries, [], version);
        const { batches, root } = await streamed(entries, version);
        expect(show(batches.flat())).toEqual(show(expected.ops()));
        expect(toHex(root)).toBe(toHex(expected.rootHash));
        expect(toHex(root)).toBe(toHex(SparseMerkleTree.fromEntries(entries).rootHash));
      }),
      { numRuns: 300 },
    );
  });

  it("handles 0, 1 and 2 entries, and two paths differing only in the last bit", async () => {
    const a = new Uint8Array(32).fill(7);
    const b = a.slice();
    b[31] ^= 1;
    const v = new Uint8Array(32).fill(9);
    const two = sortedDistinct([{ path: a, valueHash: v }, { path: b, valueHash: v }]);
    for (const entries of [[], [{ path: a, valueHash: v }], two]) {
      const reader = new NodeReader(new MemoryNodeStore(), new NodeCache());
      const expected = new VersionedTree(reader, -1, null).candidate(entries, [], 0);
      const { batches, root } = await streamed(entries, 0);
      expect(show(batches.flat())).toEqual(show(expected.ops()));
      expect(toHex(root)).toBe(toHex(SparseMerkleTree.fromEntries(entries).rootHash));
    }
    // Two paths sharing 255 bits: one internal node per depth.
    const { batches } = await streamed(two, 0);
    expect(batches.flat().length).toBe(256 + 1);
  });

  it("writes in batches of at most STREAM_BUILD_BATCH_RECORDS, and the written tree opens with its root", async () => {
    const n = STREAM_BUILD_BATCH_RECORDS + 17;
    const entries: Entry[] = [];
    for (let i = 0; i < n; i++) {
      const p = new Uint8Array(32);
      p[0] = i >> 16;
      p[1] = (i >> 8) & 0xff;
      p[2] = i & 0xff;
      entries.push({ path: p, valueHash: new Uint8Array(32).fill(i & 0xff) });
    }
    const store = new MemoryNodeStore();
    const root = await buildTreeStreaming(stream(entries), 0, async (ops) => {
      expect(ops.length).toBeLessThanOrEqual(STREAM_BUILD_BATCH_RECORDS);
      expect(ops.length).toBeGreaterThan(0);
      store.write(ops);
      await Promise.resolve();
    });
    const tree = VersionedTree.open(new NodeReader(store, new NodeCache()), 0);
    expect(toHex(tree.rootHash)).toBe(toHex(root));
    expect(toHex(root)).toBe(toHex(SparseMerkleTree.fromEntries(entries).rootHash));
    for (const i of [0, 1, n >> 1, n - 1]) {
      expect(toHex(tree.lookup(entries[i].path) ?? new Uint8Array())).toBe(toHex(entries[i].valueHash));
    }
  });

  it("refuses paths that are not strictly ascending", async () => {
    const a = new Uint8Array(32).fill(1);
    const v = new Uint8Array(32);
    const write = async () => {};
    const twice = stream([{ path: a, valueHash: v }, { path: a, valueHash: v }]);
    await expect(buildTreeStreaming(twice, 0, write)).rejects.toBeInstanceOf(UnsortedStreamError);
    const lower = new Uint8Array(32);
    const descending = stream([{ path: a, valueHash: v }, { path: lower, valueHash: v }]);
    await expect(buildTreeStreaming(descending, 0, write)).rejects.toBeInstanceOf(UnsortedStreamError);
  });
});

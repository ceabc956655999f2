import { describe, expect, it, vi } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import { SparseMerkleTree, treePath, valueHash } from "../../state/smt.ts";
import { MemoryNodeStore } from "../../state/tree/memory-store.ts";
import type { NodeStore } from "../../state/tree/node-reader.ts";
import { DECODED_DEPTH, NodeCache } from "../../state/tree/node-cache.ts";
import { encodeNode, type InternalNode, nodeKey, nodeRecordKey } from "../../state/tree/node-codec.ts";
import { cacheId, NodeReader } from "../../state/tree/node-reader.ts";
import { FIRST_TABLE_SLOTS, PACKED_CHUNK_BYTES, PastNodeCache } from "../../state/tree/past-node-cache.ts";
import { VersionedTree } from "../../state/tree/versioned-tree.ts";
import { type HeapSampleNode, sampledAllocations } from "../helpers/heap-samples.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const update = (k: string, v: string) => ({ path: treePath(enc(k)), valueHash: valueHash(enc(v)) });

/**
 * A tree of `blocks` blocks of `perBlock` new keys each, committed through a reader with a `cacheBytes` hot
 * cache; `afterBlock` sees the cache's size after each block but the first.
 */
function grow(cacheBytes: number, blocks: number, perBlock: number, afterBlock?: (cacheSize: number) => void) {
  const store = new MemoryNodeStore();
  const reader = new NodeReader(store, new NodeCache(cacheBytes));
  const genesis = new VersionedTree(reader, -1, null).candidate([], [], 0);
  store.write(genesis.ops());
  let tree = VersionedTree.open(reader, 0);
  let reference = SparseMerkleTree.empty();
  for (let b = 0; b < blocks; b++) {
    const updates = Array.from({ length: perBlock }, (_, i) => update(`account-${b}-${i}`, `balance ${i}`));
    reference = reference.apply(updates);
    const c = tree.candidate(updates);
    expect(toHex(c.rootHash)).toBe(toHex(reference.rootHash));
    store.write(c.ops());
    tree = tree.commit(c);
    if (b > 0) afterBlock?.(reader.cache.size);
  }
  return { store, reader, tree };
}

describe("the latest tree's hot-node cache, in two tiers", () => {
  it("holds the nodes a block commits, about twice as many as decoded nodes fit in the same bytes or more", () => {
    // 20,000 accounts: paths about 16 deep, so most nodes are below the decoded tier. Held decoded (~820 bytes
    // each), 1 MiB held 1,402 nodes of this tree; now (a quarter of 1 MiB decoded, the rest packed) 2,744-3,888
    // after each block, as the packed tier holds one generation of records or two.
    const bound = 1024 * 1024;
    const { reader, tree } = grow(bound, 10, 2000, (size) => expect(size).toBeGreaterThan(2600));
    const cache = reader.cache;
    expect(cache.bytes).toBeLessThanOrEqual(bound);
    expect(cache.packed.size).toBeGreaterThan(cache.decoded.size);
    // Everything reads back through the cache as committed.
    for (let i = 0; i < 2000; i += 97) {
      expect(tree.lookup(treePath(enc(`account-9-${i}`)))).toEqual(valueHash(enc(`balance ${i}`)));
      expect(tree.lookup(treePath(enc(`account-0-${i}`)))).toEqual(valueHash(enc(`balance ${i}`)));
    }
    expect(tree.lookup(treePath(enc("never written")))).toBeUndefined();
  });

  it("keeps the top levels decoded and the deeper ones packed, each as stored", () => {
    const { store, reader, tree } = grow(64 * 1024 * 1024, 3, 1000);
    const path = treePath(enc("account-2-7"));
    // Walk the path down from the root: each node comes from the tier its depth names, equal to its record.
    let ref = tree.root;
    let depth = 0;
    let packedSeen = 0;
    while (ref !== null && ref.kind === 2) {
      const id = cacheId(nodeKey(ref.version, depth, path));
      const decoded = reader.cache.decoded.peek(id);
      const packed = reader.cache.packed.peek(id);
      if (depth < DECODED_DEPTH) {
        expect(decoded).toBeDefined();
        expect(packed).toBeUndefined();
      } else {
        expect(decoded).toBeUndefined();
        expect(packed).toBeDefined();
        packedSeen++;
      }
      const node = (decoded ?? packed) as InternalNode;
      const stored = store.get(nodeRecordKey(nodeKey(ref.version, depth, path)));
      expect(toHex(encodeNode(node))).toBe(toHex(stored as Uint8Array));
      // And through the cache's own lookup, which goes to the tier the id's depth names.
      expect(toHex(encodeNode(reader.cache.get(id) as InternalNode))).toBe(toHex(encodeNode(node)));
      ref = (path[depth >> 3] >> (7 - (depth & 7))) & 1 ? node.right : node.left;
      depth++;
    }
    expect(packedSeen).toBeGreaterThan(0);
  });

  it("looks up through the packed tier without decoding a node, and reads what the cache lacks from disk", async () => {
    const { store, reader, tree } = grow(64 * 1024 * 1024, 4, 2000);
    const reference = SparseMerkleTree.empty().apply(
      Array.from({ length: 4 * 2000 }, (_, n) => update(`account-${n % 4}-${n >> 2}`, `balance ${n >> 2}`)),
    );
    const keys = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? `account-${i % 4}-${i}` : `absent-${i}`));
    const expected = keys.map((k) => reference.lookup(treePath(enc(k))));
    expect(expected.filter((v) => v !== undefined).length).toBe(200);
    const hex = (v: Uint8Array | undefined) => (v === undefined ? "absent" : toHex(v));

    // Warm (every node cached): no packed node is decoded (the packed tier's get is what decodes one); and what
    // V8 allocates while looking up, sampled at every 64 bytes, made none of it in decodeNode or readRef (a
    // second check, by what was allocated: the profiler names an inlined function only when V8 keeps its frame).
    const packedGets = vi.spyOn(reader.cache.packed, "get");
    let found: (Uint8Array | undefined)[] = [];
    const profile = await sampledAllocations(() => (found = keys.map((k) => tree.lookup(treePath(enc(k))))));
    expect(found.map(hex)).toEqual(expected.map(hex));
    expect(packedGets).not.toHaveBeenCalled();
    packedGets.mockRestore();
    const decodingBytes = (node: HeapSampleNode, underLookup: boolean): number => {
      const name = node.callFrame.functionName;
      const inLookup = underLookup || name === "lookup";
      const own = inLookup && (name === "decodeNode" || name === "readRef") ? node.selfSize : 0;
      return own + node.children.reduce((sum, c) => sum + decodingBytes(c, inLookup), 0);
    };
    expect(decodingBytes(profile, false)).toBe(0);
    // A found value hash is a copy of its 32 bytes, not a view that would keep a 64 KiB chunk.
    for (const v of found) if (v !== undefined) expect(v.buffer.byteLength).toBe(32);

    // Cold (a new cache over the same store): each level the cache lacks is read from disk and checked, then
    // cached, so a second pass reads nothing.
    let reads = 0;
    const counting: NodeStore = { get: (key) => (reads++, store.get(key)) };
    const cold = VersionedTree.open(new NodeReader(counting, new NodeCache(64 * 1024 * 1024)), tree.version);
    expect(keys.map((k) => hex(cold.lookup(treePath(enc(k)))))).toEqual(expected.map(hex));
    expect(reads).toBeGreaterThan(100);
    reads = 0;
    expect(keys.map((k) => hex(cold.lookup(treePath(enc(k)))))).toEqual(expected.map(hex));
    expect(reads).toBe(0);
  });

  it("keeps every node decoded under a bound too small for a packed chunk", () => {
    const bound = 128 * 1024;
    const { reader, tree } = grow(bound, 3, 500);
    expect(reader.cache.packed.size).toBe(0);
    expect(reader.cache.decoded.size).toBeGreaterThan(100);
    expect(reader.cache.bytes).toBeLessThanOrEqual(bound);
    // A deep node read through the reader is cached decoded, as the cache did before it had tiers.
    const path = treePath(enc("account-2-7"));
    let ref = tree.root;
    let depth = 0;
    let deepest: string | undefined;
    while (ref !== null && ref.kind === 2) {
      const node = reader.node(ref.version, depth, path, ref.hash);
      if (depth >= DECODED_DEPTH) deepest = cacheId(nodeKey(ref.version, depth, path));
      ref = (path[depth >> 3] >> (7 - (depth & 7))) & 1 ? node.right : node.left;
      depth++;
    }
    expect(deepest).toBeDefined();
    expect(reader.cache.decoded.peek(deepest as string)).toBeDefined();
    expect(reader.cache.packed.size).toBe(0);
  });

  it("peek leaves an old generation's record to be dropped with it; get keeps it young", () => {
    // A generation's bytes are its arrays: with half the bound one chunk and the first table, a generation
    // holds FIRST_TABLE_SLOTS / 2 entries (10 + the record's bytes each, well within the chunk); the next one
    // would double the table past the half, and starts the next generation.
    const half = PACKED_CHUNK_BYTES + FIRST_TABLE_SLOTS * 4;
    const perGeneration = FIRST_TABLE_SLOTS / 2;
    const record = encodeNode({ left: { kind: 2, version: 1, hash: new Uint8Array(32).fill(1) }, right: null });
    let n = 0;
    const fill = (cache: PastNodeCache, count: number) => {
      for (let i = 0; i < count; i++) cache.set(`f${String(n++).padStart(7, "0")}`, record);
    };
    for (const keep of [false, true]) {
      const cache = new PastNodeCache(2 * half);
      cache.set("the-node", record);
      fill(cache, perGeneration); // the last filler starts a second generation: the node's is now the old one
      expect(cache.size).toBe(perGeneration + 1);
      expect(cache.bytes).toBe(2 * FIRST_TABLE_SLOTS * 4 + 2 * PACKED_CHUNK_BYTES); // its arrays, exactly
      expect(cache.peek("the-node")).toBeDefined();
      if (keep) expect(cache.get("the-node")).toBeDefined(); // copied into the young generation
      fill(cache, perGeneration); // the young generation fills and turns old; the old one, with the node's first copy, goes
      expect(cache.peek("the-node") !== undefined).toBe(keep);
    }
  });
});

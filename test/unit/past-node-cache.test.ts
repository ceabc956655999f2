import { describe, expect, it } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import { DecodedNodeCache } from "../../state/tree/decoded-node-cache.ts";
import { encodeNode, type InternalNode, leafRef, nodeKey, type Ref } from "../../state/tree/node-codec.ts";
import { cacheId } from "../../state/tree/node-reader.ts";
import { PastNodeCache } from "../../state/tree/past-node-cache.ts";

/** 32 bytes that differ for each (i, salt). */
function bytes32(i: number, salt: number): Uint8Array {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setUint32(0, i);
  out[4] = salt;
  return out;
}

/** A node of one of the three shapes records take: two inner children, an inner and a leaf, two leaves. */
function randomNode(i: number): InternalNode {
  const inner = (salt: number): Ref => ({ kind: 2, version: i, hash: bytes32(i, salt) });
  const leaf = (salt: number): Ref => leafRef(bytes32(i, salt), bytes32(i, salt + 1), i);
  if (i % 3 === 0) return { left: inner(0), right: inner(1) };
  if (i % 3 === 1) return { left: inner(0), right: leaf(1) };
  return { left: leaf(0), right: leaf(2) };
}

function entries(n: number) {
  return Array.from({ length: n }, (_, i) => {
    const node = randomNode(i);
    return { id: cacheId(nodeKey(i, 20, bytes32(i, 9))), node, record: encodeNode(node) };
  });
}

describe("the past-height proofs' node cache", () => {
  it("stays within its bound and gives back the nodes it was given, the recent ones at least", () => {
    const bound = 512 * 1024;
    const cache = new PastNodeCache(bound);
    const all = entries(10_000);
    let most = 0;
    for (const e of all) {
      cache.set(e.id, e.record);
      most = Math.max(most, cache.bytes);
    }
    expect(most).toBeLessThanOrEqual(bound);
    expect(cache.size).toBeLessThan(all.length);
    for (const e of all.slice(-1000)) expect(toHex(encodeNode(cache.get(e.id) as InternalNode))).toBe(toHex(e.record));
    const wrong = all.filter((e) => {
      const held = cache.get(e.id);
      return held !== undefined && toHex(encodeNode(held)) !== toHex(e.record);
    });
    expect(wrong).toEqual([]);
  });

  it("finds every id through its table as it grows, keeps an id's later copy, and counts exactly its arrays", () => {
    const cache = new PastNodeCache(64 * 1024 * 1024);
    const all = entries(5_000); // the table doubles several times (512 entries at the first size)
    for (const e of all) cache.set(e.id, e.record);
    expect(cache.size).toBe(all.length);
    for (const e of all) expect(toHex(encodeNode(cache.get(e.id) as InternalNode))).toBe(toHex(e.record));
    expect(cache.get(cacheId(nodeKey(1, 20, bytes32(99_999, 9))))).toBeUndefined(); // never added
    const [first, second] = all;
    cache.set(first.id, second.record); // the same id again: its later record is the one found
    expect(cache.size).toBe(all.length);
    expect(toHex(encodeNode(cache.get(first.id) as InternalNode))).toBe(toHex(second.record));
    // One generation: its 64 KiB chunks (5,000 entries of 2 + id + record bytes) and a table of 16,384 slots
    // (4 bytes each, under half full), nothing else.
    const entryBytes = all.reduce((sum, e) => sum + 2 + e.id.length + e.record.byteLength, 0);
    const chunks = (cache.bytes - 16_384 * 4) / (64 * 1024);
    expect(Number.isInteger(chunks)).toBe(true);
    const replacedBytes = 2 + first.id.length + second.record.byteLength;
    expect(chunks).toBeGreaterThanOrEqual(Math.ceil((entryBytes + replacedBytes) / (64 * 1024)));
  });

  it("holds several times as many nodes as decoded nodes in the same bytes", () => {
    const bound = 1024 * 1024;
    const past = new PastNodeCache(bound);
    const decoded = new DecodedNodeCache(bound);
    for (const e of entries(15_000)) {
      past.set(e.id, e.record);
      decoded.set(e.id, e.node, e.record.byteLength);
    }
    expect(past.size).toBeGreaterThan(3 * decoded.size);
  });
});

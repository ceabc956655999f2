import { describe, expect, it } from "vitest";
import { nodeId, nodeKey } from "../../state/tree/node-codec.ts";
import { cacheId } from "../../state/tree/node-reader.ts";

/**
 * The hot-node cache names a node by its key's bytes (cacheId). A read looks a node up by nodeId, built from
 * (version, depth, path) without allocating the key, while a committed node is remembered under
 * cacheId(nodeKey(...)): the two names must be the same string for every position, or every read would miss.
 */
describe("nodeId", () => {
  const path = (seed: number) =>
    Uint8Array.from({ length: 32 }, (_, i) => (seed * 131 + i * 37 + (i >> 1) * 11) & 0xff);

  it("is cacheId(nodeKey(...)) at every depth, for versions past 2^32 too", () => {
    for (const version of [0, 1, 255, 256, 65_535, 1_000_003, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12_345]) {
      for (let depth = 0; depth < 256; depth++) {
        const p = path(version + depth);
        expect(nodeId(version, depth, p)).toBe(cacheId(nodeKey(version, depth, p)));
      }
    }
  });

  it("ignores the path's bits from the depth on, as the key does", () => {
    const a = path(7);
    const b = a.slice();
    b[2] ^= 0x0f; // bits 20-23: below depth 20
    b[31] ^= 0xff;
    expect(nodeId(9, 20, a)).toBe(nodeId(9, 20, b));
    expect(nodeKey(9, 20, a)).toEqual(nodeKey(9, 20, b));
    expect(nodeId(9, 21, a)).not.toBe(nodeId(9, 21, b)); // a 21-bit prefix holds bit 20
    expect(cacheId(nodeKey(9, 21, a))).not.toBe(cacheId(nodeKey(9, 21, b)));
  });
});

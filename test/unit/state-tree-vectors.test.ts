import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../crypto/bytes.ts";
import { SparseMerkleTree, treePath, valueHash } from "../../state/smt.ts";
import { MemoryNodeStore } from "../../state/tree/memory-store.ts";
import { NodeReader } from "../../state/tree/node-reader.ts";
import { VersionedTree } from "../../state/tree/versioned-tree.ts";

/** The known-answer vectors of docs/state-tree.md: roots of 0..3 fixed entries, and the 3-entry layout. */
const ENTRIES: [string, string][] = [["alpha", "1"], ["beta", "2"], ["gamma", "3"]];
const ROOTS = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "234c86d583c0a7b74b406aaab72ad3f6aed5a5daface2c11e0406864dd7d6751",
  "685d670c4c879641838c4c9bc26335bfbeca852ecf108aba3ce3bef09566bbfe",
  "649eb8e016a3cbfce000060bea32c5004ec16a152493a8b2e324fb8745805f42",
];

const updates = (n: number) =>
  ENTRIES.slice(0, n).map(([k, v]) => ({ path: treePath(utf8(k)), valueHash: valueHash(utf8(v)) }));

describe("state tree known-answer vectors (docs/state-tree.md)", () => {
  it("gives the documented roots, in memory and on disk", () => {
    for (let n = 0; n <= 3; n++) {
      expect(toHex(SparseMerkleTree.fromEntries(updates(n)).rootHash)).toBe(ROOTS[n]);
      const candidate = new VersionedTree(new NodeReader(new MemoryNodeStore()), -1, null).candidate(updates(n), [], 0);
      expect(toHex(candidate.rootHash)).toBe(ROOTS[n]);
    }
  });

  it("stores the 3-entry tree as the documented node keys", () => {
    const candidate = new VersionedTree(new NodeReader(new MemoryNodeStore()), -1, null).candidate(updates(3), [], 0);
    const keys = Array.from({ length: candidate.newNodeCount }, (_, i) => toHex(candidate.newNode(i).key)).sort();
    expect(keys).toEqual(["000000000000000000", "00000000000000000180", "00000000000000000280"]);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import {
  merkleFrontierAppend,
  merkleFrontierRoot,
  merkleProof,
  merkleRootOfHashes,
  MerkleTree,
  verifyMerkleProof,
} from "../../crypto/merkle.ts";

const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
/** Distinct leaves: with a repeated leaf, a proof may honestly verify at the other position too. */
const leafLists = fc.uniqueArray(hash32, { minLength: 1, maxLength: 40, selector: (b) => toHex(b) });
const listAndIndex = leafLists.chain((leaves) => fc.tuple(fc.constant(leaves), fc.nat({ max: leaves.length - 1 })));

function leaf(n: number): Uint8Array {
  return sha256(Uint8Array.of(n));
}

function inner(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(1), left, right);
}

describe("merkle proofs", () => {
  it("verifies every index of every list against merkleRootOfHashes", () => {
    fc.assert(
      fc.property(leafLists, (leaves) => {
        const root = merkleRootOfHashes(leaves);
        leaves.forEach((l, i) => {
          expect(verifyMerkleProof(l, i, leaves.length, merkleProof(leaves, i), root)).toBe(true);
        });
      }),
    );
  });

  it("refuses a wrong leaf", () => {
    fc.assert(
      fc.property(listAndIndex, ([leaves, i]) => {
        const wrong = Uint8Array.from(leaves[i]);
        wrong[0] ^= 0xff;
        const root = merkleRootOfHashes(leaves);
        expect(verifyMerkleProof(wrong, i, leaves.length, merkleProof(leaves, i), root)).toBe(false);
      }),
    );
  });

  it("refuses the right leaf at a wrong index", () => {
    fc.assert(
      fc.property(listAndIndex, fc.nat(), ([leaves, i], shift) => {
        fc.pre(leaves.length > 1);
        const j = (i + 1 + (shift % (leaves.length - 1))) % leaves.length; // any index but i
        const root = merkleRootOfHashes(leaves);
        expect(verifyMerkleProof(leaves[i], j, leaves.length, merkleProof(leaves, i), root)).toBe(false);
      }),
    );
  });

  it("refuses a wrong root and a tampered proof", () => {
    fc.assert(
      fc.property(listAndIndex, hash32, ([leaves, i], otherRoot) => {
        const root = merkleRootOfHashes(leaves);
        fc.pre(toHex(otherRoot) !== toHex(root));
        const proof = merkleProof(leaves, i);
        expect(verifyMerkleProof(leaves[i], i, leaves.length, proof, otherRoot)).toBe(false);
        if (proof.length > 0) {
          const tampered = proof.map((p) => Uint8Array.from(p));
          tampered[tampered.length - 1][31] ^= 1;
          expect(verifyMerkleProof(leaves[i], i, leaves.length, tampered, root)).toBe(false);
          expect(verifyMerkleProof(leaves[i], i, leaves.length, proof.slice(1), root)).toBe(false);
        }
        expect(verifyMerkleProof(leaves[i], i, leaves.length, [...proof, root], root)).toBe(false);
      }),
    );
  });

  it("gives the documented shape for three leaves: the odd last leaf is carried up", () => {
    const [a, b, c] = [leaf(0), leaf(1), leaf(2)];
    const root = inner(inner(a, b), c);
    expect(toHex(merkleRootOfHashes([a, b, c]))).toBe(toHex(root));
    expect(merkleProof([a, b, c], 0).map(toHex)).toEqual([toHex(b), toHex(c)]);
    // Leaf 2 has no sibling at the bottom level: its only proof element is the pair above it.
    expect(merkleProof([a, b, c], 2).map(toHex)).toEqual([toHex(inner(a, b))]);
  });

  it("proves a single leaf with an empty proof (the root is the leaf)", () => {
    const a = leaf(7);
    expect(merkleProof([a], 0)).toEqual([]);
    expect(verifyMerkleProof(a, 0, 1, [], a)).toBe(true);
  });

  it("refuses indexes outside the list", () => {
    const leaves = [leaf(0), leaf(1)];
    const root = merkleRootOfHashes(leaves);
    expect(() => merkleProof(leaves, 2)).toThrow(RangeError);
    expect(() => merkleProof(leaves, -1)).toThrow(RangeError);
    expect(() => merkleProof([], 0)).toThrow(RangeError);
    expect(verifyMerkleProof(leaves[0], 2, 2, [leaves[1]], root)).toBe(false);
    expect(verifyMerkleProof(leaves[0], -1, 2, [leaves[1]], root)).toBe(false);
  });
});

/** The frontier after appending each leaf in turn, with the root at every step. */
function frontierRoots(leaves: readonly Uint8Array[]): Uint8Array[] {
  let frontier: Uint8Array[] = [];
  return leaves.map((l, i) => {
    frontier = merkleFrontierAppend(frontier, i, l);
    return merkleFrontierRoot(frontier, i + 1);
  });
}

describe("merkle frontier", () => {
  it("gives merkleRootOfHashes of every prefix, for each of 1..300 leaves", () => {
    const leaves = Array.from({ length: 300 }, (_, i) => sha256(Uint8Array.of(i >> 8, i & 0xff)));
    const roots = frontierRoots(leaves);
    for (let n = 1; n <= 300; n++) expect(toHex(roots[n - 1]), `${n} leaves`).toBe(toHex(merkleRootOfHashes(leaves.slice(0, n))));
    expect(merkleFrontierRoot([], 0)).toEqual(merkleRootOfHashes([]));
  });

  it("agrees with merkleRootOfHashes on random leaves (duplicates included), 1..300 of them", () => {
    fc.assert(
      fc.property(fc.array(hash32, { minLength: 1, maxLength: 300, size: "max" }), (leaves) => {
        const roots = frontierRoots(leaves);
        expect(toHex(roots[roots.length - 1])).toBe(toHex(merkleRootOfHashes(leaves)));
      }),
      { numRuns: 200 },
    );
  });

  it("holds one node per set bit of the count, largest subtree first", () => {
    const [a, b, c, d, e, f, g] = Array.from({ length: 7 }, (_, i) => leaf(i));
    let frontier: Uint8Array[] = [];
    [a, b, c, d, e, f, g].forEach((l, i) => (frontier = merkleFrontierAppend(frontier, i, l)));
    expect(frontier.map(toHex)).toEqual([inner(inner(a, b), inner(c, d)), inner(e, f), g].map(toHex));
    const root = inner(inner(inner(a, b), inner(c, d)), inner(inner(e, f), g));
    expect(toHex(merkleFrontierRoot(frontier, 7))).toBe(toHex(root));
  });

  it("refuses a frontier that does not match its count (corrupt state, not input)", () => {
    expect(() => merkleFrontierAppend([leaf(0)], 3, leaf(1))).toThrow(RangeError); // 3 = 2 + 1 needs two nodes
    expect(() => merkleFrontierRoot([leaf(0), leaf(1)], 2)).toThrow(RangeError);
    expect(() => merkleFrontierRoot([], -1)).toThrow(RangeError);
  });
});

describe("MerkleTree", () => {
  it("has merkleRootOfHashes' root and merkleProof's proofs, for 0..70 leaves at every index", () => {
    for (let n = 0; n <= 70; n++) {
      const leaves = Array.from({ length: n }, (_, i) => leaf(i));
      const tree = MerkleTree.build(n, (i) => leaves[i]);
      expect(toHex(tree.root()), `${n} leaves`).toBe(toHex(merkleRootOfHashes(leaves)));
      for (let i = 0; i < n; i++) expect(tree.proof(i).map(toHex)).toEqual(merkleProof(leaves, i).map(toHex));
    }
  });

  it("refuses leaves that are not 32 bytes and indexes outside the tree", () => {
    expect(() => MerkleTree.build(1, () => new Uint8Array(31))).toThrow(RangeError);
    const tree = MerkleTree.build(2, (i) => leaf(i));
    expect(() => tree.proof(2)).toThrow(RangeError);
    expect(() => tree.proof(-1)).toThrow(RangeError);
    expect(tree.byteLength()).toBe(3 * 32);
  });

  it("buildPaced builds the same tree a slice at a time, letting other callbacks run in between", async () => {
    const n = 20_000;
    const leaves = Array.from({ length: n }, (_, i) => sha256(Uint8Array.of(i & 0xff, i >> 8)));
    let timerFiredAt = -1;
    let leavesRead = 0;
    setTimeout(() => (timerFiredAt = leavesRead), 0);
    let pauses = 0;
    const pace = () => {
      pauses++;
      return new Promise<void>((resolve) => setImmediate(resolve));
    };
    const paced = await MerkleTree.buildPaced(n, (i) => (leavesRead++, leaves[i]), pace);
    const whole = MerkleTree.build(n, (i) => leaves[i]);
    expect(toHex(paced.root())).toBe(toHex(whole.root()));
    expect(paced.proof(12_345).map(toHex)).toEqual(whole.proof(12_345).map(toHex));
    expect(pauses).toBeGreaterThan(2 * n / 1000); // n leaves read and n - 1 nodes hashed, in slices
    expect(timerFiredAt).toBeGreaterThanOrEqual(0);
    expect(timerFiredAt).toBeLessThan(n); // the timer ran while the tree was being built
  });

  it("buildPaced stops when its pace throws (the client went away)", async () => {
    let read = 0;
    const gone = MerkleTree.buildPaced(100_000, () => (read++, leaf(1)), () => Promise.reject(new Error("gone")));
    await expect(gone).rejects.toThrow("gone");
    expect(read).toBeLessThan(2_000);
  });
});

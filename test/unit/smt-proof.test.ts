import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EMPTY_HASH, SparseMerkleTree, treePath, valueHash } from "../../state/smt.ts";
import { stateProofFailure } from "../helpers/verify-state-proof.ts";

/**
 * SparseMerkleTree.prove against a verifier written from the contract's rule: every present key proves its
 * value, every absent key proves its absence, and a proof never vouches for another value or key.
 */

const enc = (s: string) => new TextEncoder().encode(s);

function treeOf(entries: Map<string, string>): SparseMerkleTree {
  return SparseMerkleTree.fromEntries(
    [...entries].map(([k, v]) => ({ path: treePath(enc(k)), valueHash: valueHash(enc(v)) })),
  );
}

describe("state proofs from the in-memory tree", () => {
  it("an empty tree proves every key absent with no siblings", () => {
    const t = SparseMerkleTree.empty();
    const proof = t.prove(treePath(enc("a")));
    expect(proof).toEqual({ siblings: [] });
    expect(stateProofFailure(EMPTY_HASH, enc("a"), undefined, proof)).toBeUndefined();
    expect(stateProofFailure(EMPTY_HASH, enc("a"), enc("1"), proof)).toBe("a claim of a value needs a leaf");
  });

  it("a one-entry tree is its leaf: no siblings, and another key's absence is shown by that leaf", () => {
    const t = treeOf(new Map([["a", "1"]]));
    const own = t.prove(treePath(enc("a")));
    expect(own.siblings).toEqual([]);
    expect(stateProofFailure(t.rootHash, enc("a"), enc("1"), own)).toBeUndefined();
    const other = t.prove(treePath(enc("b")));
    expect(stateProofFailure(t.rootHash, enc("b"), undefined, other)).toBeUndefined();
    expect(stateProofFailure(t.rootHash, enc("a"), undefined, own)).toBe("the leaf is the key's own: it is present");
  });

  it("random trees (after updates and deletes): inclusion for present keys, non-inclusion for absent ones", () => {
    const key = fc.stringMatching(/^[a-z]{1,3}$/);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, fc.option(fc.string({ maxLength: 4 }), { nil: null })), { maxLength: 60 }),
        fc.array(key, { maxLength: 10 }),
        (ops, probes) => {
          const entries = new Map<string, string>();
          let t = SparseMerkleTree.empty();
          for (const [k, v] of ops) {
            t = t.apply([{ path: treePath(enc(k)), valueHash: v === null ? null : valueHash(enc(v)) }]);
            if (v === null) entries.delete(k);
            else entries.set(k, v);
          }
          const root = t.rootHash;
          for (const k of [...entries.keys(), ...probes]) {
            const proof = t.prove(treePath(enc(k)));
            const v = entries.get(k);
            expect(stateProofFailure(root, enc(k), v === undefined ? undefined : enc(v), proof)).toBeUndefined();
            // Nor does it vouch for anything else: another value, or the opposite claim.
            expect(stateProofFailure(root, enc(k), enc(`${v ?? ""}x`), proof)).toBeDefined();
            if (v !== undefined) expect(stateProofFailure(root, enc(k), undefined, proof)).toBeDefined();
            if (proof.siblings.length > 0) {
              const bent = { ...proof, siblings: proof.siblings.map((s, i) => (i === 0 ? valueHash(s) : s)) };
              expect(stateProofFailure(root, enc(k), v === undefined ? undefined : enc(v), bent)).toBeDefined();
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a proof's depth is where the key's path leaves the tree: at most a few levels past log2(n)", () => {
    const entries = new Map<string, string>();
    for (let i = 0; i < 4096; i++) entries.set(`k${i}`, `${i}`);
    const t = treeOf(entries);
    const depths = [...entries.keys()].map((k) => t.prove(treePath(enc(k))).siblings.length);
    expect(Math.max(...depths)).toBeLessThan(40);
    expect(Math.min(...depths)).toBeGreaterThanOrEqual(8);
  });
});

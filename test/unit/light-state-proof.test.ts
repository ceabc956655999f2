import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SparseMerkleTree, treePath, valueHash } from "../../state/smt.ts";
import { LightClientError, MAX_PROOF_DEPTH, type StateProof, verifyStateProof } from "../../light/index.ts";
import { type Entry, proveTestPath, subtreeHash } from "../helpers/smt-prover.ts";
import { fromJsonValue, hexBytes, type VectorFile } from "../vectors/known-answers.ts";
import { MODULE_PREFIX, stateKey } from "../../state/keys.ts";

/**
 * verifyStateProof against the node's tree (state/smt.ts): random trees, proofs from a test prover over the
 * same entries, inclusion and absence accepted, and every tampering refused.
 */

interface KV {
  key: Uint8Array;
  value: Uint8Array;
}

const entryOf = (kv: KV): Entry => ({ path: treePath(kv.key), valueHash: valueHash(kv.value) });
const proofOf = (kvs: readonly KV[], key: Uint8Array): StateProof => proveTestPath(kvs.map(entryOf), treePath(key));

function distinctKeys(kvs: KV[]): KV[] {
  const seen = new Set<string>();
  return kvs.filter((kv) => {
    const id = Buffer.from(kv.key).toString("hex");
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

const kvs = fc.array(
  fc.record({ key: fc.uint8Array({ minLength: 1, maxLength: 40 }), value: fc.uint8Array({ maxLength: 60 }) }),
  { maxLength: 40 },
).map(distinctKeys);

function refused(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof LightClientError && err.code === "INVALID_PROOF") return err.message;
    throw err;
  }
  throw new Error("expected the proof to be refused, but it was accepted");
}

const flip = (b: Uint8Array, i = 0) => {
  const c = b.slice();
  c[i % c.length] ^= 1;
  return c;
};

describe("verifyStateProof on the node's tree", () => {
  it("the test prover's roots are the tree's (so its proofs are the tree's)", () => {
    fc.assert(fc.property(kvs, (list) => {
      const tree = SparseMerkleTree.fromEntries(list.map(entryOf));
      expect(subtreeHash(list.map(entryOf))).toEqual(tree.rootHash);
    }), { numRuns: 100 });
  });

  it("accepts inclusion of every present key and absence of others, in trees built and updated", () => {
    fc.assert(fc.property(kvs, kvs, fc.uint8Array({ minLength: 1, maxLength: 40 }), (first, second, absentKey) => {
      // Built in one go, then changed by updates (overwrites and new keys): the root is the same function.
      const all = distinctKeys([...second, ...first]);
      const tree = SparseMerkleTree.fromEntries(first.map(entryOf))
        .apply(second.map((kv) => ({ ...entryOf(kv) })));
      const root = tree.rootHash;
      for (const kv of all) {
        expect(verifyStateProof(root, kv.key, kv.value, proofOf(all, kv.key)).kind).toBe("inclusion");
      }
      if (!all.some((kv) => Buffer.from(kv.key).equals(absentKey))) {
        expect(verifyStateProof(root, absentKey, undefined, proofOf(all, absentKey)).kind).toBe("absence");
      }
    }), { numRuns: 60 });
  });

  it("refuses every tampering", () => {
    fc.assert(fc.property(kvs.filter((l) => l.length >= 2), fc.nat(), fc.nat(), (list, i, j) => {
      const root = SparseMerkleTree.fromEntries(list.map(entryOf)).rootHash;
      const { key, value } = list[i % list.length];
      const other = list[(i + 1 + (j % (list.length - 1))) % list.length];
      const proof = proofOf(list, key);

      // A wrong value.
      expect(refused(() => verifyStateProof(root, key, flip(value.length ? value : Uint8Array.of(0)), proof)))
        .toContain("but the claimed value hashes to");
      // A proof for another key (its leaf, its siblings), with this key's value or the other's.
      expect(refused(() => verifyStateProof(root, key, value, proofOf(list, other.key)))).toContain("not key");
      expect(refused(() => verifyStateProof(root, key, other.value, proofOf(list, other.key)))).toContain("not key");
      // A changed sibling.
      if (proof.siblings.length > 0) {
        const k = j % proof.siblings.length;
        const changed = { ...proof, siblings: proof.siblings.map((s, n) => (n === k ? flip(s, j) : s)) };
        expect(refused(() => verifyStateProof(root, key, value, changed))).toContain("not the state root");
        // A truncated list.
        const truncated = { ...proof, siblings: proof.siblings.slice(0, -1) };
        expect(refused(() => verifyStateProof(root, key, value, truncated))).toContain("not the state root");
      }
      // An extended list (an empty or a copied sibling below).
      for (const extra of [new Uint8Array(32), proof.siblings[0] ?? new Uint8Array(32).fill(3)]) {
        const extended = { ...proof, siblings: [...proof.siblings, extra] };
        expect(refused(() => verifyStateProof(root, key, value, extended))).toContain("not the state root");
      }
      // Absence claimed for a present key, with its own proof or one with the leaf removed.
      expect(refused(() => verifyStateProof(root, key, undefined, proof))).toContain("but its absence was claimed");
      expect(refused(() => verifyStateProof(root, key, undefined, { siblings: proof.siblings })))
        .toContain("not the state root");
      // Absence "proved" with another key's leaf that does not lie on this key's path.
      expect(() => verifyStateProof(root, key, undefined, proofOf(list, other.key))).toThrow(LightClientError);
      // A value claimed with an absence proof (no leaf).
      expect(refused(() => verifyStateProof(root, key, value, { siblings: proof.siblings }))).toContain("shows no value");
      // A different root.
      expect(refused(() => verifyStateProof(flip(root), key, value, proof))).toContain("not the state root");
    }), { numRuns: 60 });
  });

  it("refuses a leaf of another key claimed as the inclusion of an absent key", () => {
    // Keys of 41+ bytes are never in the list (at most 40), so `absent` is absent.
    const absentKey = fc.uint8Array({ minLength: 41, maxLength: 50 });
    fc.assert(fc.property(kvs.filter((l) => l.length >= 1), absentKey, (list, absent) => {
      const root = SparseMerkleTree.fromEntries(list.map(entryOf)).rootHash;
      const proof = proofOf(list, absent);
      if (proof.leaf === undefined) return; // the path ends in an empty subtree: no leaf to misuse
      const holder = list.find((kv) => Buffer.from(treePath(kv.key)).equals(proof.leaf?.path as Uint8Array)) as KV;
      expect(verifyStateProof(root, absent, undefined, proof).kind).toBe("absence");
      expect(refused(() => verifyStateProof(root, absent, holder.value, proof))).toContain("not key");
    }), { numRuns: 100 });
  });

  it("refuses malformed proofs: a sibling or leaf of the wrong length, more than 256 siblings", () => {
    const list = [1, 3].map((k) => ({ key: Uint8Array.of(k), value: Uint8Array.of(k + 1) }));
    const root = SparseMerkleTree.fromEntries(list.map(entryOf)).rootHash;
    const proof = proofOf(list, list[0].key);
    const short = { ...proof, siblings: [new Uint8Array(31)] };
    expect(refused(() => verifyStateProof(root, list[0].key, list[0].value, short)))
      .toBe("sibling 0 of the proof must be 32 bytes, got 31");
    const leaf = { path: new Uint8Array(33), valueHash: new Uint8Array(32) };
    expect(refused(() => verifyStateProof(root, list[0].key, undefined, { siblings: [], leaf })))
      .toBe("the proof's leaf path must be 32 bytes, got 33");
    const deep = { siblings: Array.from({ length: MAX_PROOF_DEPTH + 1 }, () => new Uint8Array(32)) };
    expect(refused(() => verifyStateProof(root, list[0].key, undefined, deep))).toBe("the proof has 257 siblings; a path has at most 256");
  });

  it("the empty tree proves every key absent with no siblings; a one-entry tree is its leaf", () => {
    expect(verifyStateProof(new Uint8Array(32), Uint8Array.of(5), undefined, { siblings: [] })).toEqual({ kind: "absence", depth: 0 });
    const one = [{ key: Uint8Array.of(9), value: Uint8Array.of(1, 2) }];
    const root = SparseMerkleTree.fromEntries(one.map(entryOf)).rootHash;
    expect(verifyStateProof(root, one[0].key, one[0].value, proofOf(one, one[0].key))).toEqual({ kind: "inclusion", depth: 0 });
  });

  it("proves the entries of the known-answer state roots (test/vectors: state-root/*) against the pinned roots", () => {
    const path = join(import.meta.dirname, "..", "vectors", "known-answers.json");
    const file = JSON.parse(readFileSync(path, "utf8")) as VectorFile;
    const vectors = file.vectors.filter((x) => x.name.startsWith("state-root/"));
    expect(vectors.length).toBeGreaterThanOrEqual(3);
    for (const v of vectors) {
      const input = fromJsonValue<{ accounts: { address: Uint8Array }[]; supply?: bigint }>(v.input);
      const values = v.expect.ACCOUNT === "" ? [] : v.expect.ACCOUNT.split(",").map(hexBytes);
      // The keys as the vector's code builds them (state/keys.ts): accounts, then the supply if any.
      const keys = input.accounts.map((a) => stateKey(MODULE_PREFIX.bankAccount, a.address));
      if (input.supply !== undefined) keys.push(MODULE_PREFIX.bankSupply);
      const list = keys.map((key, i) => ({ key, value: values[i] }));
      const root = hexBytes(v.expect["STATE-ROOT"]);
      for (const kv of list) expect(verifyStateProof(root, kv.key, kv.value, proofOf(list, kv.key)).kind).toBe("inclusion");
      const absent = stateKey(MODULE_PREFIX.bankAccount, new Uint8Array(20).fill(0xee));
      expect(verifyStateProof(root, absent, undefined, proofOf(list, absent)).kind).toBe("absence");
    }
  });
});

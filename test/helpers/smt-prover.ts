import { createHash } from "node:crypto";

/**
 * A small prover for tests and benches of the light client: builds the proof-contract proof of a path over
 * a list of tree entries, by the compact tree definition of state/smt.ts (empty = 32 zero bytes, one entry =
 * its leaf, otherwise H(0x01 || left || right)). The whole tree is built in memory once, with every node's
 * hash; a proof is a walk down it. Its roots are checked against SparseMerkleTree's (light-state-proof
 * tests), so its proofs are the tree's.
 */

export interface Entry {
  path: Uint8Array;
  valueHash: Uint8Array;
}

export interface TestProof {
  siblings: Uint8Array[];
  leaf?: Entry;
}

type ProverNode =
  | { hash: Uint8Array; leaf: Entry }
  | { hash: Uint8Array; left: ProverNode | null; right: ProverNode | null };

const EMPTY = new Uint8Array(32);

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

function bit(path: Uint8Array, depth: number): number {
  return (path[depth >> 3] >> (7 - (depth & 7))) & 1;
}

function comparePaths(a: Entry, b: Entry): number {
  return Buffer.compare(a.path, b.path);
}

/** The subtree of sorted entries[lo, hi) at `depth`. */
function build(entries: readonly Entry[], lo: number, hi: number, depth: number): ProverNode | null {
  if (lo >= hi) return null;
  if (hi - lo === 1) {
    const e = entries[lo];
    return { hash: sha256(Uint8Array.of(0), e.path, e.valueHash), leaf: e };
  }
  let mid = lo;
  while (mid < hi && bit(entries[mid].path, depth) === 0) mid++;
  const left = build(entries, lo, mid, depth + 1);
  const right = build(entries, mid, hi, depth + 1);
  return { hash: sha256(Uint8Array.of(1), left?.hash ?? EMPTY, right?.hash ?? EMPTY), left, right };
}

export class TestProver {
  private readonly root: ProverNode | null;

  constructor(entries: readonly Entry[]) {
    const sorted = [...entries].sort(comparePaths);
    this.root = build(sorted, 0, sorted.length, 0);
  }

  get rootHash(): Uint8Array {
    return this.root?.hash ?? EMPTY;
  }

  prove(path: Uint8Array): TestProof {
    const siblings: Uint8Array[] = [];
    let node = this.root;
    for (let depth = 0; ; depth++) {
      if (node === null) return { siblings };
      if ("leaf" in node) return { siblings, leaf: node.leaf };
      const [next, other] = bit(path, depth) === 0 ? [node.left, node.right] : [node.right, node.left];
      siblings.push(other?.hash ?? EMPTY);
      node = next;
    }
  }
}

export function subtreeHash(entries: readonly Entry[]): Uint8Array {
  return new TestProver(entries).rootHash;
}

export function proveTestPath(entries: readonly Entry[], path: Uint8Array): TestProof {
  return new TestProver(entries).prove(path);
}

import { equalBytes } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { treePath } from "../smt.ts";
import { FutureHeightError, PrunedHeightError, TreeNodeMissingError } from "./errors.ts";
import { bit, type Ref, refHash } from "./node-codec.ts";
import type { TreeNodeSource } from "./node-reader.ts";

const EMPTY = new Uint8Array(0);

/** The shared contract's proof (docs/state-tree.md; the light client verifies it). */
export interface StateProof {
  /**
   * Sibling hashes along the key's path, from the top: siblings[i] is the hash of the sibling of the path's
   * node at depth i+1 (the other child of the depth-i node). length = the depth where the path ends.
   */
  siblings: Uint8Array[];
  /**
   * Where the path ends: a leaf, or nothing (an empty subtree). Inclusion: leaf.path == path(key) and
   * leaf.valueHash == sha256(value). Non-inclusion: no leaf, or a leaf of another key sharing the first
   * siblings.length bits of path(key).
   */
  leaf?: { path: Uint8Array; valueHash: Uint8Array };
}

export interface ProvedValue {
  value: Uint8Array | undefined;
  proof: StateProof;
  root: Uint8Array;
}

/** Walks `path` down from `root`, collecting siblings, to the leaf or empty subtree where it ends. */
export function proveFrom(reader: TreeNodeSource, root: Ref, path: Uint8Array): StateProof {
  return walk(reader, root, path).proof;
}

function walk(reader: TreeNodeSource, root: Ref, path: Uint8Array): { proof: StateProof; valueVersion?: number } {
  const siblings: Uint8Array[] = [];
  let ref = root;
  let depth = 0;
  while (ref !== null && ref.kind === 2) {
    const node = reader.node(ref.version, depth, path, ref.hash);
    const goRight = bit(path, depth) === 1;
    siblings.push(refHash(goRight ? node.left : node.right));
    ref = goRight ? node.right : node.left;
    depth++;
  }
  if (ref === null) return { proof: { siblings } };
  return { proof: { siblings, leaf: { path: ref.path, valueHash: ref.valueHash } }, valueVersion: ref.valueVersion };
}

/** Where a prover finds what is outside the tree: values by height, and the range of retained heights. */
export interface ProverSource {
  /** Reads the latest height's tree (the node's hot-node cache, which block execution relies on). */
  reader: TreeNodeSource;
  /**
   * Reads older heights' trees, through a cache of their own: random proofs at old heights must not push the
   * nodes execution needs out of the hot cache (each miss there is a synchronous disk read on the main thread).
   */
  pastReader?: TreeNodeSource;
  /**
   * The value `stateKey` was given by the block at `height` (its per-height history entry: one point read),
   * or undefined if that entry is not there or is a deletion.
   */
  valueWrittenAt(stateKey: Uint8Array, height: number): Uint8Array | undefined;
  latestHeight(): number;
  /** The oldest height whose tree and values are retained (0 unless pruned). */
  oldestHeight(): number;
}

/**
 * Proofs of state values at any retained height (the contract's StateProver). The proof comes from that
 * height's tree on disk; the value from the per-height history entry of the height its leaf says wrote it
 * (a synchronous point read: a whole proof ran at 1.1-1.7x the rate of the async reverse seek alone that
 * finding the version in force takes, test/bench/state-tree-bench.ts), which must hash to the leaf (a mismatch is a damaged database, not an answer). Synchronous, so a
 * proof is one consistent read; `proveAt` is async only as the contract allows.
 */
export class StateProver {
  private readonly source: ProverSource;

  constructor(source: ProverSource) {
    this.source = source;
  }

  async proveAt(height: number, stateKey: Uint8Array): Promise<ProvedValue> {
    this.checkHeight(height);
    const path = treePath(stateKey);
    let proof: StateProof;
    let root: Ref | undefined;
    let value: Uint8Array | undefined;
    try {
      const { reader: latest, pastReader } = this.source;
      const reader = height < this.source.latestHeight() ? (pastReader ?? latest) : latest;
      root = reader.rootAt(height);
      if (root === undefined) throw new TreeNodeMissingError(`the state tree root of height ${height} is missing`);
      const found = walk(reader, root, path);
      proof = found.proof;
      const included = proof.leaf !== undefined && equalBytes(proof.leaf.path, path);
      if (included) value = this.source.valueWrittenAt(stateKey, found.valueVersion as number);
      if (included && (value === undefined || !equalBytes(sha256(value), proof.leaf?.valueHash ?? EMPTY))) {
        throw new TreeNodeMissingError(
          `the stored value of a state key at height ${height} does not match the state tree: the database is damaged`,
        );
      }
    } catch (err) {
      // Pruning may have passed this height while the proof was being read: say so rather than "damaged".
      this.checkHeight(height);
      throw err;
    }
    return { value, proof, root: refHash(root) };
  }

  private checkHeight(height: number): void {
    if (!Number.isSafeInteger(height) || height < 0) throw new FutureHeightError(`height ${height} is not a height`);
    const latest = this.source.latestHeight();
    if (height > latest) throw new FutureHeightError(`height ${height} is above the latest committed height ${latest}`);
    const oldest = this.source.oldestHeight();
    if (height < oldest) throw new PrunedHeightError(height, oldest);
  }
}

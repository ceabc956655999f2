/**
 * State proofs, node side: the proof's shape (the shared contract of issue 14, which the light client's
 * verifier reads too) and the interface the RPC asks for one through.
 *
 * Today's implementation, LatestTreeProver, proves over the in-memory tree (state/smt.ts), which holds the
 * LATEST height only; any other height is refused with PastHeightProofError. The versioned tree on disk
 * (state/tree/) replaces it with a prover for every retained height, behind the same interface.
 */

export interface StateProof {
  /**
   * Sibling hashes along the key's path, from the top: siblings[i] is the hash of the sibling of the path's
   * node at depth i+1 (the other child of the depth-i node). length = the depth where the path ends.
   */
  siblings: Uint8Array[];
  /**
   * Where the path ends: a leaf, or nothing (an empty subtree). Inclusion: leaf.path == path(key) and
   * leaf.valueHash == sha256(value). Non-inclusion: no leaf, or a leaf of ANOTHER key whose path shares the
   * first siblings.length bits with path(key).
   */
  leaf?: { path: Uint8Array; valueHash: Uint8Array };
}

/** A value at a height with its proof against that height's state root. */
export interface ProvedValue {
  value: Uint8Array | undefined;
  proof: StateProof;
  root: Uint8Array;
}

export interface StateProver {
  /**
   * The value of `stateKey` in the state after block `height`, with its proof against that state's root
   * (header(height).stateRoot). Throws when the height cannot be proved here (PastHeightProofError today;
   * PrunedHeightError once heights are pruned).
   */
  proveAt(height: number, stateKey: Uint8Array): ProvedValue | Promise<ProvedValue>;
}

/** Asked for a proof at a height the in-memory tree no longer holds. */
export class PastHeightProofError extends Error {
  override name = "PastHeightProofError";
  readonly height: number;
  readonly latest: number;

  constructor(height: number, latest: number) {
    super(
      `this node proves state at the latest height (${latest}) only: proofs at past heights (${height} asked) ` +
      `need the versioned tree`,
    );
    this.height = height;
    this.latest = latest;
  }
}

/** What LatestTreeProver reads: the latest state's value and proof of a key (state/store/latest-state.ts). */
export interface LatestProofSource {
  prove(stateKey: Uint8Array): ProvedValue;
}

/** Proves at the latest committed height only, from the in-memory tree. */
export class LatestTreeProver implements StateProver {
  private readonly source: LatestProofSource;
  private readonly latestHeight: () => number;

  /** `latestHeight` must move together with `source` (both change in the same synchronous step at commit). */
  constructor(source: LatestProofSource, latestHeight: () => number) {
    this.source = source;
    this.latestHeight = latestHeight;
  }

  proveAt(height: number, stateKey: Uint8Array): ProvedValue {
    const latest = this.latestHeight();
    if (height !== latest) throw new PastHeightProofError(height, latest);
    return this.source.prove(stateKey);
  }
}

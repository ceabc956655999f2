import type { Block, Commit, Validator } from "../proto/block.ts";
import type { DuplicateVoteEvidence } from "../proto/consensus.ts";

/**
 * The narrow interface between consensus and the application (ARCHITECTURE.md, principle 2). Consensus
 * knows blocks only as opaque values with a hash; it never sees a Datanet or a balance. The consensus driver
 * (node/consensus-driver.ts) calls it from the Tendermint engine's effects.
 */
export interface Application {
  /** Where the chain stands: consensus resumes from here after a restart. */
  info(): ChainInfo;

  /** The validator set that signs blocks at `height`. */
  validators(height: number): Validator[];

  /** The height the set of `height` took effect (proposer priorities are carried over to a new set there). */
  validatorSetSince(height: number): number;

  /**
   * Builds a block for `height` on top of the latest committed block: picks transactions, executes them and
   * fills in every root of the header. The block is not committed.
   */
  propose(request: ProposeRequest): Promise<Block>;

  /** Checks a proposed block completely (header, transactions, signatures, execution, roots). */
  validate(block: Block): Promise<ValidationResult>;

  /**
   * Persists a decided block with the commit that decided it, atomically, and makes its state current.
   * `blockBytes`: the block's canonical encoding, when the caller holds it (else the app encodes it).
   */
  commit(block: Block, commit: Commit, blockBytes?: Uint8Array): Promise<void>;
}

export interface ChainInfo {
  chainId: string;
  /** 0 before the first block. */
  height: number;
  /** Empty before the first block. */
  lastBlockHash: Uint8Array;
  lastBlockTimeMs: number;
  /** The commit for the latest block, carried in the next block as its last commit. */
  lastCommit: Commit | undefined;
}

export interface ProposeRequest {
  height: number;
  timeMs: number;
  proposer: Uint8Array;
  lastCommit: Commit | undefined;
  /** Equivocations seen and not yet committed: the app includes those still valid. */
  evidence: readonly DuplicateVoteEvidence[];
}

export type ValidationResult = { valid: true } | { valid: false; reason: string };

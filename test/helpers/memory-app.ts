import type { Application, ChainInfo, ProposeRequest, ValidationResult } from "../../consensus/application.ts";
import { type Block, blockHash, type Commit, commitHash, type Validator } from "../../proto/block.ts";
import { smallBlock } from "./max-block.ts";

/**
 * Consensus timeouts for single-driver tests on a MemoryApp: long enough that no round times out on a
 * loaded machine, so what a test sees comes from its own steps, not from a timeout.
 */
export const SLOW_TIMEOUTS = {
  proposeMs: 5000,
  proposeDeltaMs: 500,
  prevoteMs: 5000,
  prevoteDeltaMs: 500,
  precommitMs: 5000,
  precommitDeltaMs: 500,
};

/** The header fields a MemoryApp block is made of. */
export type MemoryBlockFields = Partial<Block["header"]>;

/**
 * A stand-in application that commits in memory, for tests of the consensus driver (its WAL, signer and
 * timing): small valid blocks, every block valid, a fixed validator set.
 */
export class MemoryApp implements Application {
  readonly committed: Block[] = [];
  onCommit: ((height: number) => void) | undefined;
  private last: { hash: Uint8Array; timeMs: number; commit: Commit } | undefined;
  private readonly set: Validator[];
  private readonly makeBlock: (fields: MemoryBlockFields) => Block;

  /** `makeBlock`: the block proposed at each height (small valid blocks by default). */
  constructor(validators: Validator[], makeBlock: (fields: MemoryBlockFields) => Block = smallBlock) {
    this.set = validators;
    this.makeBlock = makeBlock;
  }

  info(): ChainInfo {
    return {
      chainId: "opl-max-1",
      height: this.committed.length,
      lastBlockHash: this.last?.hash ?? new Uint8Array(0),
      lastBlockTimeMs: this.last?.timeMs ?? 0,
      lastCommit: this.last?.commit,
    };
  }

  validators(): Validator[] {
    return this.set;
  }

  validatorSetSince(): number {
    return 1;
  }

  async propose(req: ProposeRequest): Promise<Block> {
    const block = this.makeBlock({
      height: req.height,
      timeMs: req.timeMs,
      proposerAddress: req.proposer,
      lastBlockHash: this.last?.hash ?? new Uint8Array(0),
      lastCommitHash: commitHash(req.lastCommit),
    });
    return { ...block, lastCommit: req.lastCommit };
  }

  async validate(): Promise<ValidationResult> {
    return { valid: true };
  }

  async commit(block: Block, commit: Commit): Promise<void> {
    this.committed.push(block);
    this.last = { hash: blockHash(block.header), timeMs: block.header.timeMs, commit };
    this.onCommit?.(block.header.height);
  }
}

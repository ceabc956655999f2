/**
 * Hard caps on the chain params that size a block. Genesis refuses params above them, and every frame
 * limit on the network is derived from them (proto/block-limits.ts), so any block a chain can make
 * crosses gossip and block sync. A file of its own, importing only light/limits.ts (which imports nothing):
 * the block codec uses it too, and the light client bounds what it checks by the same validator cap.
 */
import { MAX_VALIDATORS } from "../light/limits.ts";

export interface BlockSizeParams {
  /** Total bytes of a block's transactions (the txs alone, not their length prefixes). */
  maxBlockBytes: number;
  maxBlockTxs: number;
  maxTxBytes: number;
  /** The most validators, so the most signatures in a block's last commit. */
  maxValidators: number;
}

export const BLOCK_PARAM_CAPS: BlockSizeParams = {
  maxBlockBytes: 8 * 1024 * 1024,
  maxBlockTxs: 20_000,
  // A transaction must fit a relay batch (MAX_TX_BATCH_BYTES, 4 MiB) with room to spare.
  maxTxBytes: 1024 * 1024,
  maxValidators: MAX_VALIDATORS,
};

/** Most pieces of evidence one block commits. */
export const MAX_BLOCK_EVIDENCE = 10;

/**
 * The lists of a commit, a block and a validator set, bounded by the caps above before anything is decoded
 * (decodeCanonical's wire walk, proto/wire-scan.ts): a commit from a peer holding millions of empty signatures
 * fits a sync frame's bytes, and decoding them took seconds.
 */
export const COMMIT_LISTS = { "Commit.signatures": BLOCK_PARAM_CAPS.maxValidators } as const;
export const BLOCK_LISTS = {
  "Block.txs": BLOCK_PARAM_CAPS.maxBlockTxs,
  "Block.evidence": MAX_BLOCK_EVIDENCE,
  ...COMMIT_LISTS,
} as const;
export const VALIDATOR_SET_LISTS = { "ValidatorSet.validators": BLOCK_PARAM_CAPS.maxValidators } as const;
/** For messages with no list: any list met is a bug to fix here (wireProblem throws), not a peer's fault. */
export const NO_LISTS = {} as const;

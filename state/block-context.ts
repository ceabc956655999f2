import type { ChainParams } from "./params.ts";
import type { UpgradeBinary } from "./upgrades/handler.ts";

/**
 * What a block gives every module's transition besides the state: height, time, proposer, params, the last
 * commit's votes and the evidence it carries. Its own file so that modules (state/modules/*) need not import
 * the executor that calls them.
 */

export interface BlockContext {
  chainId: string;
  height: number;
  timeMs: number;
  proposer: Uint8Array;
  /**
   * Who the block's fees go to: the proposer's operator account (the key that controls the validator), or
   * the proposer's own address when it has none. The caller resolves it once per block.
   */
  feeRecipient?: Uint8Array;
  params: ChainParams;
  /**
   * The validators of the previous height (by consensus address) and whether each signed this block's
   * last commit: the staking module's liveness count. Empty at height 1.
   */
  lastCommitVotes: readonly { address: Uint8Array; signed: boolean }[];
  /** Equivocations this block carries, already verified by the caller (signatures, age, validator). */
  evidence: readonly BlockEvidence[];
  /**
   * Work done so far in this block by messages whose cost varies (reward credits of records), counted
   * against per-block budgets, and the fee of the tx being executed (executeTx sets it), which must pay for
   * a record's credits before any of its contributions is read. One object per block execution; absent where
   * no budget applies (tests).
   */
  work?: { credits: number; txFee: bigint };
  /**
   * The upgrade handlers this binary carries and the upgrade heights its operator skips (state/upgrades/):
   * read only at a passed upgrade's height. Absent: none (reaching an upgrade's height throws UpgradeHaltError).
   */
  upgrades?: UpgradeBinary;
}

export interface BlockEvidence {
  /** sha256 of the evidence's canonical encoding: no evidence counts twice. */
  hash: Uint8Array;
  /** The consensus address of the validator that signed twice, and the height it did so at. */
  validator: Uint8Array;
  height: number;
}

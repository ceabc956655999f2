/**
 * The chain's objects as the light client sees them. Field for field the node's own types (proto/block.ts,
 * proto/consensus.ts), declared again here so the library imports nothing from the node.
 */

export interface Header {
  chainId: string;
  height: number;
  timeMs: number;
  /** Empty for the first block. */
  lastBlockHash: Uint8Array;
  lastCommitHash: Uint8Array;
  txsRoot: Uint8Array;
  /** The root of the state after this block's transactions (the contract's "state after block H"). */
  stateRoot: Uint8Array;
  resultsRoot: Uint8Array;
  validatorsHash: Uint8Array;
  nextValidatorsHash: Uint8Array;
  proposerAddress: Uint8Array;
  evidenceRoot: Uint8Array;
}

export interface CommitSig {
  validatorAddress: Uint8Array;
  timeMs: number;
  signature: Uint8Array;
}

export interface Commit {
  height: number;
  round: number;
  blockHash: Uint8Array;
  signatures: CommitSig[];
}

export interface Validator {
  /** The first 20 bytes of sha256(pubkey). */
  address: Uint8Array;
  pubkey: Uint8Array;
  power: number;
}

export const PREVOTE = 1;
export const PRECOMMIT = 2;

export interface Vote {
  type: typeof PREVOTE | typeof PRECOMMIT;
  height: number;
  round: number;
  /** Empty for a vote for nil. */
  blockHash: Uint8Array;
  timeMs: number;
  validatorAddress: Uint8Array;
}

/** Everything needed to verify header H from an earlier trusted header (`light_getBlock`). */
export interface LightBlock {
  header: Header;
  /** Signed by `validators` (the set of height H). */
  commit: Commit;
  /** The set of height H; hashes to header.validatorsHash. */
  validators: Validator[];
  /** The set of height H + 1; hashes to header.nextValidatorsHash. */
  nextValidators: Validator[];
}

/** The sibling hashes along a key's path and where the path ends (proof-contract.md). */
export interface StateProof {
  siblings: Uint8Array[];
  leaf?: { path: Uint8Array; valueHash: Uint8Array };
}

export const HASH_LENGTH = 32;
export const ADDRESS_LENGTH = 20;
export const PUBLIC_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

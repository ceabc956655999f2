/**
 * The consensus engine's vocabulary: what goes in (facts) and what comes out (requests to the host).
 * Validators are referred to by their index in the height's validator set; values by an opaque id (the
 * block hash in hex). Signatures are the host's business: inputs are already authenticated.
 */
export const PREVOTE = 1;
export const PRECOMMIT = 2;
export type VoteType = typeof PREVOTE | typeof PRECOMMIT;

/** Opaque value id (a block hash, hex). */
export type ValueId = string;

export interface Vote {
  type: VoteType;
  height: number;
  round: number;
  /** null is a vote for nil. */
  value: ValueId | null;
  validator: number;
}

export interface Proposal {
  height: number;
  round: number;
  value: ValueId;
  /** -1 when the proposer has no proof-of-lock round (Algorithm 1's validRound). */
  polRound: number;
  validator: number;
}

export type Step = "propose" | "prevote" | "precommit" | "commit";
export type TimeoutKind = "propose" | "prevote" | "precommit";

export interface Validator {
  power: number;
}

export type Input =
  /** Begin `height` with this validator set and round-0 proposer schedule (see HeightParams). */
  | { type: "startHeight"; params: HeightParams }
  | { type: "proposal"; proposal: Proposal }
  | { type: "vote"; vote: Vote }
  | { type: "timeout"; kind: TimeoutKind; height: number; round: number }
  /** The value the host built for our proposal (answer to getValue). */
  | { type: "valueReady"; height: number; round: number; value: ValueId }
  /** Whether a proposed value is valid (answer to validate). */
  | { type: "validity"; height: number; value: ValueId; valid: boolean }
  /**
   * A commit for this height learned outside the vote exchange (block sync, or a peer's last commit):
   * precommits whose signatures the host verified. Decides once they hold +2/3 and the value is valid;
   * independent of the votes already counted, which an equivocator may have poisoned for this node.
   */
  | { type: "certificate"; height: number; round: number; value: ValueId; precommits: Vote[] };

export type Effect =
  | { type: "newRound"; height: number; round: number; proposer: number }
  | { type: "publishProposal"; proposal: Proposal }
  | { type: "publishVote"; vote: Vote }
  | { type: "scheduleTimeout"; kind: TimeoutKind; height: number; round: number; durationMs: number }
  | { type: "getValue"; height: number; round: number }
  | { type: "validate"; height: number; value: ValueId }
  /** Decided: +2/3 precommits for `value` in `round`; `precommits` are the commit. */
  | { type: "decide"; height: number; round: number; value: ValueId; precommits: Vote[] }
  /** Two different votes from one validator for the same height, round and type. */
  | { type: "evidence"; first: Vote; second: Vote };

export interface TimeoutConfig {
  proposeMs: number;
  proposeDeltaMs: number;
  prevoteMs: number;
  prevoteDeltaMs: number;
  precommitMs: number;
  precommitDeltaMs: number;
}

/** CometBFT's defaults: timeouts grow by their delta every round, so a slow network eventually fits. */
export const DEFAULT_TIMEOUTS: TimeoutConfig = {
  proposeMs: 3000,
  proposeDeltaMs: 500,
  prevoteMs: 1000,
  prevoteDeltaMs: 500,
  precommitMs: 1000,
  precommitDeltaMs: 500,
};

export interface HeightParams {
  height: number;
  validators: readonly Validator[];
  /** The proposer of each round (index into validators). */
  proposer: (round: number) => number;
  /** Our index in `validators`, or undefined if this node does not vote at this height. */
  self: number | undefined;
  timeouts: TimeoutConfig;
  /**
   * The round to start at (default 0). A validator that restarted without its WAL, whose signer state shows
   * it signed at round r of this height, starts at r + 1: it cannot know what it voted in rounds up to r,
   * so it takes no part in them (as if it had been offline) instead of asking to sign there again.
   */
  firstRound?: number;
}

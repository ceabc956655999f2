import type { Vote } from "../consensus/engine/types.ts";
import { equalBytes, toHex } from "../crypto/bytes.ts";
import type { Commit, CommitSig, Validator } from "../proto/block.ts";
import { PRECOMMIT, type SignedVote } from "../proto/consensus.ts";
import { checkVote } from "./consensus-checks.ts";
import type { SignedVotes } from "./signed-votes.ts";

/**
 * Precommits for the last decided block beyond the quorum that decided it, for the next block's last commit
 * (as CometBFT's LastCommit): the staking module counts a validator missing from it as having missed the
 * block, and the decision fires on the first +2/3, so a validator a little slower than the quorum would
 * otherwise look absent at nearly every height. At a decision, the precommits already held beyond the
 * quorum start the set (they will not come again from peers); later ones are checked and added as they
 * come, one per validator, only for the decided block at its round.
 */
export class LatePrecommits {
  private readonly chainId: () => string;
  private readonly validators: (height: number) => readonly Validator[];
  private readonly votes: Pick<SignedVotes, "get">;
  private height = 0;
  private sigs = new Map<string, CommitSig>();

  /** The last commit asked about and its signers (signersOf). */
  private signers: { commit: Commit; ids: Set<string> } | undefined;

  constructor(deps: {
    chainId: () => string;
    validators: (height: number) => readonly Validator[];
    /** The votes held for the decided height (the driver's store). */
    votes: Pick<SignedVotes, "get">;
  }) {
    this.chainId = deps.chainId;
    this.validators = deps.validators;
    this.votes = deps.votes;
  }

  /** At a decision: starts the set with the precommits for the decided block held beyond the quorum. */
  keep(height: number, round: number, value: string, quorum: readonly Vote[]): void {
    this.height = height;
    this.sigs = new Map();
    const used = new Set(quorum.map((v) => v.validator));
    this.validators(height).forEach((_, i) => {
      if (used.has(i)) return;
      const sv = this.votes.get(height, PRECOMMIT, round, i, value);
      if (sv !== undefined) this.sigs.set(toHex(sv.vote.validatorAddress), commitSig(sv));
    });
  }

  /**
   * A precommit arriving after the decision of `commit`'s height: added if it is for the decided block at
   * its round, from a validator not yet in the commit or the set (its signature checked; a bad one throws
   * PeerMisbehaviour). True if it was added.
   */
  take(sv: SignedVote, commit: Commit | undefined): boolean {
    const v = sv.vote;
    if (commit === undefined || v.type !== PRECOMMIT) return false;
    if (v.height !== commit.height || v.round !== commit.round) return false;
    if (!equalBytes(v.blockHash, commit.blockHash)) return false;
    if (this.height !== v.height) {
      this.height = v.height;
      this.sigs = new Map();
    }
    const who = toHex(v.validatorAddress);
    if (this.sigs.has(who) || this.signersOf(commit).has(who)) return false;
    checkVote(this.chainId(), this.validators(v.height), sv);
    this.sigs.set(who, commitSig(sv));
    return true;
  }

  /**
   * The validators whose precommits `commit` carries, made once per commit: a replayed precommit already in it
   * cost a hex string per signature (up to the whole validator set) on every copy.
   */
  private signersOf(commit: Commit): Set<string> {
    if (this.signers?.commit !== commit) {
      this.signers = { commit, ids: new Set(commit.signatures.map((s) => toHex(s.validatorAddress))) };
    }
    return this.signers.ids;
  }

  /** How many late precommits are held for `height`. */
  count(height: number): number {
    return this.height === height ? this.sigs.size : 0;
  }

  /** `commit` with the late precommits of its height added (those it does not carry already). */
  withLate(commit: Commit | undefined): Commit | undefined {
    if (commit === undefined || this.height !== commit.height || this.sigs.size === 0) return commit;
    const have = new Set(commit.signatures.map((s) => toHex(s.validatorAddress)));
    const late = [...this.sigs.values()].filter((s) => !have.has(toHex(s.validatorAddress)));
    return { ...commit, signatures: [...commit.signatures, ...late] };
  }
}

function commitSig(sv: SignedVote): CommitSig {
  return { validatorAddress: sv.vote.validatorAddress, timeMs: sv.vote.timeMs, signature: sv.signature };
}

import type { CommitSig } from "../proto/block.ts";
import { PRECOMMIT, PREVOTE, type SignedVote } from "../proto/consensus.ts";

/**
 * The signed votes behind the engine's counting, kept per height: the engine counts votes by validator
 * index, but a commit must carry the precommit signatures themselves, and evidence both conflicting votes.
 * Keyed by (type, round, validator, value), so a re-broadcast vote is recognised as already seen before
 * its signature is checked again. Bounded per validator and height: an equivocator signing endless distinct
 * votes fills only its own share (the driver also keeps rounds within the engine's window).
 */
const MAX_VOTES_PER_VALIDATOR = 64;

function key(type: number, round: number, validator: number, value: string | null): string {
  return `${type}/${round}/${validator}/${value ?? "nil"}`;
}

export class SignedVotes {
  private readonly byHeight = new Map<number, Map<string, SignedVote>>();
  /** Votes stored per "height/validator". */
  private readonly counts = new Map<string, number>();

  has(height: number, type: number, round: number, validator: number, value: string | null): boolean {
    return this.byHeight.get(height)?.has(key(type, round, validator, value)) ?? false;
  }

  get(height: number, type: number, round: number, validator: number, value: string | null): SignedVote | undefined {
    return this.byHeight.get(height)?.get(key(type, round, validator, value));
  }

  /**
   * Whether `validator`'s share of `height` is used up: a further vote of it would not be stored (add), so it is
   * dropped before its signature is checked (node/consensus-inbox.ts), and charged to the peer that sent it.
   */
  full(height: number, validator: number): boolean {
    return (this.counts.get(`${height}/${validator}`) ?? 0) >= MAX_VOTES_PER_VALIDATOR;
  }

  /**
   * Stores a vote; false if its validator's share of the height is used up (the vote is then not used).
   * `own`: this node's vote, always stored (a commit it decides may need it).
   */
  add(validator: number, value: string | null, sv: SignedVote, own = false): boolean {
    const { height, type, round } = sv.vote;
    let votes = this.byHeight.get(height);
    if (votes === undefined) {
      votes = new Map();
      this.byHeight.set(height, votes);
    }
    const k = key(type, round, validator, value);
    if (votes.has(k)) return true;
    const countKey = `${height}/${validator}`;
    const count = this.counts.get(countKey) ?? 0;
    if (count >= MAX_VOTES_PER_VALIDATOR && !own) return false;
    this.counts.set(countKey, count + 1);
    votes.set(k, sv);
    return true;
  }

  /** Forgets every height below `height`. */
  pruneBelow(height: number): void {
    for (const h of this.byHeight.keys()) if (h < height) this.byHeight.delete(h);
    for (const k of this.counts.keys()) if (Number(k.slice(0, k.indexOf("/"))) < height) this.counts.delete(k);
  }

  /**
   * The stored votes (both kinds, every validator's, this node's included) of `round` of `height`: each
   * validator's first vote of each kind first, then any conflicting ones (an equivocator's 64 cannot push the
   * honest votes out of a bounded relay).
   */
  ofRound(height: number, round: number): SignedVote[] {
    const votes = this.byHeight.get(height);
    if (votes === undefined) return [];
    const first: SignedVote[] = [];
    const conflicting: SignedVote[] = [];
    const seen = new Set<string>();
    for (const [k, sv] of votes) {
      if (sv.vote.round !== round) continue;
      const who = k.slice(0, k.lastIndexOf("/")); // type/round/validator
      if (seen.has(who)) conflicting.push(sv);
      else {
        seen.add(who);
        first.push(sv);
      }
    }
    return [...first, ...conflicting];
  }

  /**
   * The stored prevotes (every validator's, this node's included) for `value` in `round` of `height`: the
   * quorum a proof-of-lock round rests on, for relaying (see ConsensusOutbox.resend).
   */
  prevotesFor(height: number, round: number, value: string): SignedVote[] {
    const votes = this.byHeight.get(height);
    if (votes === undefined) return [];
    const prefix = `${PREVOTE}/${round}/`;
    const suffix = `/${value}`;
    const found: SignedVote[] = [];
    for (const [k, sv] of votes) if (k.startsWith(prefix) && k.endsWith(suffix)) found.push(sv);
    return found;
  }

  /** The commit signatures for these precommits (all must be stored). */
  commitSignatures(height: number, round: number, value: string, validators: readonly number[]): CommitSig[] {
    return validators.map((validator) => {
      const sv = this.get(height, PRECOMMIT, round, validator, value);
      if (sv === undefined) throw new Error(`precommit of validator ${validator} at ${height}/${round} is not stored`);
      return { validatorAddress: sv.vote.validatorAddress, timeMs: sv.vote.timeMs, signature: sv.signature };
    });
  }
}

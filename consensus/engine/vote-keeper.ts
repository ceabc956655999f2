import { isSuperMajority } from "../validator-set.ts";
import { PRECOMMIT, PREVOTE, type ValueId, type Validator, type Vote, type VoteType } from "./types.ts";

/** Conflicting votes kept aside per validator, per (round, type), until their value is proposed. */
const MAX_PENDING_PER_VALIDATOR = 4;

/** Map key for a vote's value: nil has its own key. */
const NIL = "nil";
const VALUE_PREFIX = "v:";
const valueKey = (v: ValueId | null): string => (v === null ? NIL : `${VALUE_PREFIX}${v}`);
/** The value a (non-nil) valueKey names. */
const valueOfKey = (key: string): ValueId => key.slice(VALUE_PREFIX.length);

/**
 * One (round, type) tally. Each validator's first vote always counts; a later, different vote from the same
 * validator (an equivocation) also counts for its value when that value is nil or was proposed in the
 * round. That is the paper's model (a correct process counts every message it received, and gossip makes
 * it receive what others received), and it keeps the network live when an equivocator showed different
 * votes to different nodes. It is safe: quorum intersection only needs correct validators to vote once.
 * Memory stays bounded: proposed values per round are bounded (engine.ts), so a validator has at most a
 * few votes here.
 */
class VoteSet {
  readonly votes = new Map<number, Vote[]>();
  readonly powerByValue = new Map<string, number>();
  total = 0;
  /**
   * Conflicting votes for values not (yet) proposed in the round: kept aside, a few per validator, and
   * counted (promoted) once a proposal for their value is accepted. Without them, a vote that arrived before
   * its proposal would be lost, and an equivocator could hide a polka from one node for good.
   */
  readonly pending = new Map<number, Vote[]>();

  /** Returns the validator's earlier vote if this one conflicts with it, whether or not it was counted. */
  add(vote: Vote, power: number, countConflict: boolean): { added: boolean; first?: Vote } {
    const mine = this.votes.get(vote.validator);
    if (mine === undefined) {
      this.votes.set(vote.validator, [vote]);
      this.total += power;
      this.count(vote, power);
      return { added: true };
    }
    if (mine.some((v) => v.value === vote.value)) return { added: false };
    if (countConflict) {
      mine.push(vote);
      this.count(vote, power);
    } else {
      const waiting = this.pending.get(vote.validator) ?? [];
      if (!waiting.some((v) => v.value === vote.value)) {
        waiting.push(vote);
        if (waiting.length > MAX_PENDING_PER_VALIDATOR) waiting.shift();
        this.pending.set(vote.validator, waiting);
      }
    }
    return { added: countConflict, first: mine[0] };
  }

  /** Counts the pending votes for `value` (its proposal was just accepted). */
  promote(value: ValueId, powerOf: (validator: number) => number): void {
    for (const [validator, waiting] of this.pending) {
      const i = waiting.findIndex((v) => v.value === value);
      if (i < 0) continue;
      const [vote] = waiting.splice(i, 1);
      const mine = this.votes.get(validator);
      if (mine !== undefined && !mine.some((v) => v.value === value)) {
        mine.push(vote);
        this.count(vote, powerOf(validator));
      }
    }
  }

  /** Power for `value` counting pending votes too: whether a quorum would back a proposal for it. */
  powerWithPending(value: ValueId, powerOf: (validator: number) => number): number {
    let power = this.power(value);
    for (const [validator, waiting] of this.pending) {
      if (waiting.some((v) => v.value === value)) power += powerOf(validator);
    }
    return power;
  }

  private count(vote: Vote, power: number): void {
    const k = valueKey(vote.value);
    this.powerByValue.set(k, (this.powerByValue.get(k) ?? 0) + power);
  }

  power(value: ValueId | null): number {
    return this.powerByValue.get(valueKey(value)) ?? 0;
  }
}

export type AddResult =
  | { added: true }
  | { added: false; reason: "duplicate" | "unknown validator" | "round too far ahead" }
  /** A second, different vote from one validator: evidence. `added` says whether it was counted too. */
  | { added: boolean; reason: "equivocation"; first: Vote };

/**
 * Votes of one height, per round and type, weighted by voting power, deduplicated. A second, different vote
 * from a validator for the same (round, type) is reported as an equivocation so the host can build evidence
 * (and counted for its value as VoteSet explains). Memory is bounded: rounds more than `maxRoundsAhead`
 * past the current one are refused (an honest peer is never that far ahead; Byzantine ones cannot fill
 * memory with far-future rounds).
 */
export class VoteKeeper {
  private readonly validators: readonly Validator[];
  private readonly totalPower: number;
  private readonly rounds = new Map<number, { prevotes: VoteSet; precommits: VoteSet; senders: Set<number> }>();
  private readonly maxRoundsAhead: number;

  constructor(validators: readonly Validator[], maxRoundsAhead = 10) {
    this.validators = validators;
    this.totalPower = validators.reduce((s, v) => s + v.power, 0);
    this.maxRoundsAhead = maxRoundsAhead;
  }

  get total(): number {
    return this.totalPower;
  }

  private round(r: number) {
    let entry = this.rounds.get(r);
    if (entry === undefined) {
      entry = { prevotes: new VoteSet(), precommits: new VoteSet(), senders: new Set() };
      this.rounds.set(r, entry);
    }
    return entry;
  }

  private set(type: VoteType, r: number): VoteSet {
    const entry = this.round(r);
    return type === PREVOTE ? entry.prevotes : entry.precommits;
  }

  /** `relevant(value)`: whether an equivocating vote for this value should count (nil or a proposed value). */
  add(vote: Vote, currentRound: number, relevant: (value: ValueId | null) => boolean = () => true): AddResult {
    const validator = this.validators[vote.validator];
    if (validator === undefined) return { added: false, reason: "unknown validator" };
    if (vote.round > currentRound + this.maxRoundsAhead) return { added: false, reason: "round too far ahead" };
    const result = this.set(vote.type, vote.round).add(vote, validator.power, relevant(vote.value));
    if (result.first !== undefined) return { added: result.added, reason: "equivocation", first: result.first };
    if (!result.added) return { added: false, reason: "duplicate" };
    this.round(vote.round).senders.add(vote.validator);
    return { added: true };
  }

  /** Records that a validator sent something (e.g. a proposal) in a round, for the f+1 round-skip rule. */
  noteSender(round: number, validator: number): void {
    if (this.validators[validator] !== undefined) this.round(round).senders.add(validator);
  }

  /** +2/3 of all power voted `type` in round `r`, for anything (L34, L47). */
  anyQuorum(type: VoteType, r: number): boolean {
    return isSuperMajority(this.rounds.get(r) === undefined ? 0 : this.set(type, r).total, this.totalPower);
  }

  /** +2/3 voted `type` for exactly `value` (null = nil) in round `r`. */
  quorumFor(type: VoteType, r: number, value: ValueId | null): boolean {
    return isSuperMajority(this.rounds.get(r) === undefined ? 0 : this.set(type, r).power(value), this.totalPower);
  }

  /** A proposal for `value` in round `r` was accepted: count the votes for it that were set aside. */
  promote(r: number, value: ValueId): void {
    const entry = this.rounds.get(r);
    if (entry === undefined) return;
    const powerOf = (i: number) => this.validators[i].power;
    entry.prevotes.promote(value, powerOf);
    entry.precommits.promote(value, powerOf);
  }

  /** +2/3 for `value` in round `r` if the set-aside votes counted too (may an extra proposal be kept?). */
  quorumWithPending(type: VoteType, r: number, value: ValueId): boolean {
    if (this.rounds.get(r) === undefined) return false;
    const power = this.set(type, r).powerWithPending(value, (i) => this.validators[i].power);
    return isSuperMajority(power, this.totalPower);
  }

  /** More than 1/3 of the power sent some message in round `r` (L55's f+1). */
  skipQuorum(r: number): boolean {
    const entry = this.rounds.get(r);
    if (entry === undefined) return false;
    let power = 0;
    for (const i of entry.senders) power += this.validators[i].power;
    return power * 3 > this.totalPower;
  }

  /** Rounds above `r` that anyone sent something in, ascending. */
  roundsAbove(r: number): number[] {
    return [...this.rounds.keys()].filter((x) => x > r).sort((a, b) => a - b);
  }

  /** Values (not nil) that +2/3 of the power precommitted, in any round of this height. */
  precommitQuorumValues(): ValueId[] {
    const out: ValueId[] = [];
    for (const entry of this.rounds.values()) {
      for (const [key, power] of entry.precommits.powerByValue) {
        if (key !== NIL && isSuperMajority(power, this.totalPower)) out.push(valueOfKey(key));
      }
    }
    return out;
  }

  /** Rounds with any precommits (candidates for L49). */
  roundsWithPrecommits(): number[] {
    return [...this.rounds.entries()].filter(([, e]) => e.precommits.total > 0).map(([r]) => r);
  }

  /** Who voted what in a round, for traces: "prevotes: 0=X 2=nil; precommits: ...". */
  describe(r: number): string {
    const entry = this.rounds.get(r);
    if (entry === undefined) return "nothing";
    const list = (s: VoteSet) =>
      [...s.votes.values()].flat().map((v) => `${v.validator}=${v.value ?? "nil"}`).join(" ");
    return `prevotes: ${list(entry.prevotes)}; precommits: ${list(entry.precommits)}`;
  }

  /** The precommits for `value` in round `r`: the commit that decides it. */
  precommitsFor(r: number, value: ValueId): Vote[] {
    return [...this.set(PRECOMMIT, r).votes.values()]
      .flat()
      .filter((v) => v.value === value)
      .sort((a, b) => a.validator - b.validator);
  }
}

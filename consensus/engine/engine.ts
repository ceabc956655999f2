import {
  type Effect,
  type HeightParams,
  type Input,
  PRECOMMIT,
  PREVOTE,
  type Proposal,
  type Step,
  type TimeoutKind,
  type ValueId,
  type Vote,
} from "./types.ts";
import { isSuperMajority } from "../validator-set.ts";
import { VoteKeeper } from "./vote-keeper.ts";

/**
 * Tendermint consensus for one node, as Algorithm 1 of "The latest gossip on BFT consensus" (Buchman, Kwon,
 * Milosevic, 2018). Comments cite the paper's lines (L11, L22, ...). Deterministic and I/O-free: `handle`
 * takes an input and returns effects; no clock, socket or disk. The host (node/ driver, or the simulator)
 * runs the effects and feeds back their results as inputs.
 *
 * Rule evaluation: after every input the "upon" rules are checked until none fires, so the order in which
 * messages arrive never matters beyond what the paper allows.
 */

/**
 * Messages for the next height arrive before we finish this one; a bounded number wait here: only early
 * rounds, and a fair share per sender, so one validator cannot crowd out the rest.
 */
const MAX_BUFFERED_NEXT_HEIGHT = 10_000;
const MAX_BUFFERED_PER_SENDER = 64;
const MAX_BUFFERED_ROUND = 10;

/**
 * An equivocating proposer can send different proposals for one round. The first one received is the one
 * this node votes on (L22, L28); the others are kept too, because +2/3 of the network may prevote or
 * precommit one of them (L36, L49) and this node must then be able to lock on or decide it. Beyond this many
 * per round, a further proposal is kept only if a quorum already backs its value.
 */
export const MAX_PROPOSALS_PER_ROUND = 4;
/** Proposals (and, in the driver, votes) for rounds further ahead than this are not kept: bounded memory. */
export const MAX_ROUNDS_AHEAD = 10;

interface RoundFlags {
  /** L34: prevote timeout scheduled. */
  prevoteTimeout: boolean;
  /** L36: lock/valid-value rule fired. */
  polkaValue: boolean;
  /** L47: precommit timeout scheduled. */
  precommitTimeout: boolean;
}

export class Engine {
  private p: HeightParams | undefined;
  private round = -1;
  private step: Step = "propose";
  private lockedValue: ValueId | null = null;
  private lockedRound = -1;
  private validValue: ValueId | null = null;
  private validRound = -1;
  private decided: ValueId | null = null;
  private votes: VoteKeeper | undefined;
  /** Per round, the proposals from that round's proposer; the first is the one we vote on. */
  private readonly proposals = new Map<number, Proposal[]>();
  private readonly validity = new Map<ValueId, boolean>();
  private readonly validationAsked = new Set<ValueId>();
  private readonly flags = new Map<number, RoundFlags>();
  private certificate: { round: number; value: ValueId; precommits: Vote[] } | undefined;
  /** (validator, round, type) already reported as equivocating at this height. */
  private readonly evidenceReported = new Set<string>();
  private buffered: Input[] = [];
  private readonly bufferedBySender = new Map<number, number>();
  private out: Effect[] = [];

  get height(): number {
    return this.p?.height ?? 0;
  }

  get currentRound(): number {
    return this.round;
  }

  /**
   * Whether +2/3 of this height's prevotes or precommits of `round` are for `value`, the votes set aside
   * (from equivocators, for a value not proposed yet) counted too: a proposal past MAX_PROPOSALS_PER_ROUND
   * is kept then, as this node must be able to lock on or decide it.
   */
  quorumBacks(round: number, value: ValueId): boolean {
    const keeper = this.votes;
    if (keeper === undefined) return false;
    return keeper.quorumWithPending(PRECOMMIT, round, value) || keeper.quorumWithPending(PREVOTE, round, value);
  }

  get currentStep(): Step {
    return this.step;
  }

  get decision(): ValueId | null {
    return this.decided;
  }

  /** Who voted what in round `r` of this height, for traces. */
  describeRound(r: number): string {
    return this.votes?.describe(r) ?? "no height";
  }

  /** Proposals received for round `r`, for traces. */
  describeProposals(r: number): string {
    return (this.proposals.get(r) ?? []).map((x) => `${x.value}@${x.polRound} valid=${this.validity.get(x.value)}`).join(", ");
  }

  /**
   * Whether +2/3 precommitted, in some round of this height, a value that no proposal received here carries:
   * the network decided the height with a block this node never got, and cannot decide it by itself (only
   * block sync brings that block). Votes are counted only once their signatures are checked.
   */
  get decidedWithoutProposal(): boolean {
    if (this.votes === undefined || this.decided !== null) return false;
    const values = this.votes.precommitQuorumValues();
    if (values.length === 0) return false;
    const proposed = new Set<ValueId>();
    for (const list of this.proposals.values()) for (const p of list) proposed.add(p.value);
    return values.some((v) => !proposed.has(v));
  }

  /** Locks, for tests and logs. */
  get lock(): { lockedValue: ValueId | null; lockedRound: number; validValue: ValueId | null; validRound: number } {
    return {
      lockedValue: this.lockedValue,
      lockedRound: this.lockedRound,
      validValue: this.validValue,
      validRound: this.validRound,
    };
  }

  handle(input: Input): Effect[] {
    this.out = [];
    this.apply(input);
    const effects = this.out;
    this.out = [];
    return effects;
  }

  private apply(input: Input): void {
    if (input.type === "startHeight") {
      this.startHeight(input.params);
      return;
    }
    const p = this.p;
    if (p === undefined) return;
    const h = inputHeight(input);
    if (h === p.height + 1) {
      this.buffer(input);
      return;
    }
    if (h !== p.height || this.decided !== null) return;
    switch (input.type) {
      case "proposal":
        this.onProposal(input.proposal);
        break;
      case "vote":
        this.onVote(input.vote);
        break;
      case "timeout":
        this.onTimeout(input.kind, input.round);
        break;
      case "valueReady":
        this.onValueReady(input.round, input.value);
        break;
      case "validity":
        this.validity.set(input.value, input.valid);
        break;
      case "certificate":
        this.onCertificate(input.round, input.value, input.precommits);
        break;
    }
    this.checkRules();
  }

  private buffer(input: Input): void {
    if (this.buffered.length >= MAX_BUFFERED_NEXT_HEIGHT) return;
    if (input.type !== "proposal" && input.type !== "vote") return; // nothing else can come early
    const msg = input.type === "proposal" ? input.proposal : input.vote;
    if (msg.round > MAX_BUFFERED_ROUND) return;
    const fromSender = this.bufferedBySender.get(msg.validator) ?? 0;
    if (fromSender >= MAX_BUFFERED_PER_SENDER) return;
    this.bufferedBySender.set(msg.validator, fromSender + 1);
    this.buffered.push(input);
  }

  // ---- height and round ----

  private startHeight(params: HeightParams): void {
    if (this.p !== undefined && params.height <= this.p.height) return;
    this.p = params;
    this.round = -1;
    this.lockedValue = null;
    this.lockedRound = -1;
    this.validValue = null;
    this.validRound = -1;
    this.decided = null;
    this.votes = new VoteKeeper(params.validators);
    this.proposals.clear();
    this.validity.clear();
    this.validationAsked.clear();
    this.flags.clear();
    this.certificate = undefined;
    this.evidenceReported.clear();
    this.startRound(params.firstRound ?? 0);
    const pending = this.buffered.filter((i) => inputHeight(i) === params.height);
    this.buffered = this.buffered.filter((i) => inputHeight(i) > params.height);
    this.bufferedBySender.clear();
    for (const i of pending) this.apply(i);
    this.checkRules();
  }

  /** L11-L21: StartRound(r). */
  private startRound(round: number): void {
    const p = this.params();
    this.round = round;
    this.step = "propose";
    const proposer = p.proposer(round);
    this.emit({ type: "newRound", height: p.height, round, proposer });
    if (proposer === p.self) {
      if (this.validValue !== null) {
        // L15-L16: re-propose the valid value with its round.
        this.propose(round, this.validValue, this.validRound);
      } else {
        this.emit({ type: "getValue", height: p.height, round }); // L18: getValue(); continues in onValueReady
      }
    }
    // L21 (the paper schedules this for non-proposers; a proposer whose value never comes must move on too).
    this.schedule("propose", round);
  }

  private propose(round: number, value: ValueId, polRound: number): void {
    const p = this.params();
    const proposal: Proposal = { height: p.height, round, value, polRound, validator: p.self as number };
    this.validity.set(value, true); // our own value (or one we already saw a polka for)
    this.proposals.set(round, [proposal]);
    this.votes?.noteSender(round, proposal.validator);
    this.emit({ type: "publishProposal", proposal }); // L19
  }

  private onValueReady(round: number, value: ValueId): void {
    const p = this.params();
    if (round !== this.round || this.step !== "propose" || p.proposer(round) !== p.self) return;
    if (this.proposals.has(round)) return;
    this.propose(round, value, -1);
  }

  // ---- messages ----

  private onProposal(proposal: Proposal): void {
    const p = this.params();
    if (proposal.validator !== p.proposer(proposal.round)) return; // only proposer(h, r) may propose
    if (proposal.polRound < -1 || proposal.polRound >= proposal.round) return;
    if (proposal.round > this.round + MAX_ROUNDS_AHEAD) return; // bounded, like votes
    const known = this.proposals.get(proposal.round) ?? [];
    if (known.some((x) => x.value === proposal.value && x.polRound === proposal.polRound)) return;
    const keeper = this.votes as VoteKeeper;
    if (known.length >= MAX_PROPOSALS_PER_ROUND && !this.quorumBacks(proposal.round, proposal.value)) return;
    known.push(proposal);
    this.proposals.set(proposal.round, known);
    // Votes for this value that arrived first (from equivocators) count now, here and in its POL round.
    keeper.promote(proposal.round, proposal.value);
    if (proposal.polRound >= 0) keeper.promote(proposal.polRound, proposal.value);
    this.votes?.noteSender(proposal.round, proposal.validator);
    if (!this.validity.has(proposal.value) && !this.validationAsked.has(proposal.value)) {
      this.validationAsked.add(proposal.value);
      this.emit({ type: "validate", height: p.height, value: proposal.value });
    }
  }

  private onVote(vote: Vote): void {
    const keeper = this.votes as VoteKeeper;
    const relevant = (value: ValueId | null) => value === null || this.isProposedFor(vote.round, value);
    const result = keeper.add(vote, Math.max(this.round, 0), relevant);
    if ("reason" in result && result.reason === "equivocation") {
      const key = `${vote.validator}/${vote.round}/${vote.type}`;
      if (this.evidenceReported.has(key)) return;
      this.evidenceReported.add(key);
      this.emit({ type: "evidence", first: result.first, second: vote });
    }
  }

  private onCertificate(round: number, value: ValueId, precommits: Vote[]): void {
    const p = this.params();
    const seen = new Set<number>();
    const matching: Vote[] = [];
    let power = 0;
    for (const v of precommits) {
      if (v.type !== PRECOMMIT || v.height !== p.height || v.round !== round || v.value !== value) continue;
      const validator = p.validators[v.validator];
      if (validator === undefined || seen.has(v.validator)) continue;
      seen.add(v.validator);
      matching.push(v);
      power += validator.power;
    }
    if (!isSuperMajority(power, (this.votes as VoteKeeper).total)) return;
    // Only the matching, distinct precommits: they become the stored commit, which must verify.
    this.certificate = { round, value, precommits: matching.sort((a, b) => a.validator - b.validator) };
    if (!this.validity.has(value) && !this.validationAsked.has(value)) {
      this.validationAsked.add(value);
      this.emit({ type: "validate", height: p.height, value });
    }
  }

  /** Whether `value` was proposed in round `r`, or named by a proposal with `r` as its proof-of-lock round. */
  private isProposedFor(r: number, value: ValueId): boolean {
    if (this.proposals.get(r)?.some((x) => x.value === value)) return true;
    for (const list of this.proposals.values()) {
      if (list.some((x) => x.polRound === r && x.value === value)) return true;
    }
    return false;
  }

  private onTimeout(kind: TimeoutKind, round: number): void {
    if (round !== this.round) return;
    if (kind === "propose" && this.step === "propose") {
      this.vote(PREVOTE, null); // L57-L60
      this.step = "prevote";
    } else if (kind === "prevote" && this.step === "prevote") {
      this.vote(PRECOMMIT, null); // L61-L64
      this.step = "precommit";
    } else if (kind === "precommit") {
      this.startRound(round + 1); // L65-L67
    }
  }

  // ---- the upon rules ----

  private checkRules(): void {
    for (let guard = 0; guard < 1000 && this.decided === null; guard++) {
      if (!this.fireOne()) return;
    }
  }

  /** Fires the first applicable rule; returns whether one fired (then rules are checked again). */
  private fireOne(): boolean {
    const keeper = this.votes as VoteKeeper;
    const r = this.round;

    // A verified commit from outside (block sync): decide its value once known valid.
    const cert = this.certificate;
    if (cert !== undefined && this.validity.get(cert.value) === true) {
      this.decided = cert.value;
      this.step = "commit";
      const p = this.params();
      this.emit({ type: "decide", height: p.height, round: cert.round, value: cert.value, precommits: cert.precommits });
      return true;
    }

    // L49: a proposal and +2/3 precommits for its value, in any round: decide.
    for (const pr of keeper.roundsWithPrecommits()) {
      for (const proposal of this.proposals.get(pr) ?? []) {
        if (this.validity.get(proposal.value) !== true) continue;
        if (keeper.quorumFor(PRECOMMIT, pr, proposal.value)) {
          this.decide(pr, proposal.value);
          return true;
        }
      }
    }

    // L55: f+1 messages from a higher round: skip to it.
    for (const higher of keeper.roundsAbove(r)) {
      if (keeper.skipQuorum(higher)) {
        this.startRound(higher);
        return true;
      }
    }

    const roundProposals = this.proposals.get(r) ?? [];
    const proposal = roundProposals[0];
    const valid = proposal === undefined ? undefined : this.validity.get(proposal.value);

    if (this.step === "propose" && proposal !== undefined && valid !== undefined) {
      if (proposal.polRound === -1) {
        // L22-L27
        const ok = valid && (this.lockedRound === -1 || this.lockedValue === proposal.value);
        this.vote(PREVOTE, ok ? proposal.value : null);
        this.step = "prevote";
        return true;
      }
      if (keeper.quorumFor(PREVOTE, proposal.polRound, proposal.value)) {
        // L28-L33
        const ok = valid && (this.lockedRound <= proposal.polRound || this.lockedValue === proposal.value);
        this.vote(PREVOTE, ok ? proposal.value : null);
        this.step = "prevote";
        return true;
      }
    }

    const flags = this.roundFlags(r);

    // L34-L35: +2/3 prevotes for anything, first time: schedule the prevote timeout.
    if (this.step === "prevote" && !flags.prevoteTimeout && keeper.anyQuorum(PREVOTE, r)) {
      flags.prevoteTimeout = true;
      this.schedule("prevote", r);
      return true;
    }

    // L36-L43: a valid proposal with a polka in this round, step >= prevote, first time: lock and/or
    // remember the valid value.
    const polka =
      flags.polkaValue || this.step === "propose"
        ? undefined
        : roundProposals.find((x) => this.validity.get(x.value) === true && keeper.quorumFor(PREVOTE, r, x.value));
    if (polka !== undefined) {
      flags.polkaValue = true;
      if (this.step === "prevote") {
        this.lockedValue = polka.value;
        this.lockedRound = r;
        this.vote(PRECOMMIT, polka.value);
        this.step = "precommit";
      }
      this.validValue = polka.value;
      this.validRound = r;
      return true;
    }

    // L44-L46: a polka for nil: precommit nil.
    if (this.step === "prevote" && keeper.quorumFor(PREVOTE, r, null)) {
      this.vote(PRECOMMIT, null);
      this.step = "precommit";
      return true;
    }

    // L47-L48: +2/3 precommits for anything, first time: schedule the precommit timeout.
    if (!flags.precommitTimeout && keeper.anyQuorum(PRECOMMIT, r)) {
      flags.precommitTimeout = true;
      this.schedule("precommit", r);
      return true;
    }
    return false;
  }

  private decide(round: number, value: ValueId): void {
    const p = this.params();
    this.decided = value;
    this.step = "commit";
    const precommits = (this.votes as VoteKeeper).precommitsFor(round, value);
    this.emit({ type: "decide", height: p.height, round, value, precommits });
  }

  // ---- helpers ----

  private vote(type: typeof PREVOTE | typeof PRECOMMIT, value: ValueId | null): void {
    const p = this.params();
    if (p.self === undefined) return; // not a validator at this height: follows, never votes
    const vote: Vote = { type, height: p.height, round: this.round, value, validator: p.self };
    (this.votes as VoteKeeper).add(vote, this.round);
    this.emit({ type: "publishVote", vote });
  }

  private schedule(kind: TimeoutKind, round: number): void {
    const p = this.params();
    const t = p.timeouts;
    const durationMs =
      kind === "propose"
        ? t.proposeMs + round * t.proposeDeltaMs
        : kind === "prevote"
          ? t.prevoteMs + round * t.prevoteDeltaMs
          : t.precommitMs + round * t.precommitDeltaMs;
    this.emit({ type: "scheduleTimeout", kind, height: p.height, round, durationMs });
  }

  private roundFlags(r: number): RoundFlags {
    let f = this.flags.get(r);
    if (f === undefined) {
      f = { prevoteTimeout: false, polkaValue: false, precommitTimeout: false };
      this.flags.set(r, f);
    }
    return f;
  }

  private params(): HeightParams {
    if (this.p === undefined) throw new Error("engine: no height started");
    return this.p;
  }

  private emit(effect: Effect): void {
    this.out.push(effect);
  }
}

/** The height an input belongs to. */
export function inputHeight(input: Input): number {
  switch (input.type) {
    case "startHeight":
      return input.params.height;
    case "proposal":
      return input.proposal.height;
    case "vote":
      return input.vote.height;
    default:
      return input.height;
  }
}

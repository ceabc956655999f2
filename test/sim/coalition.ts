import { PRECOMMIT, PREVOTE, type Proposal, type Vote } from "../../consensus/engine/types.ts";
import type { Rng } from "./rng.ts";

/**
 * The coordinated adversary: every Byzantine validator in "coalition" mode acts as one, sees all traffic
 * (omniscient, as the model allows) and, before GST, chooses message delays itself. Its aim is to split the
 * correct validators' locks so that two of them decide different values at one height; only the locking
 * rules (L22, L28, L36) and a node's memory of its locks across a restart (the WAL) defeat it.
 *
 * Per height it picks a set D of correct "deciders" (less than 1/3 of the power, so the rest R plus the
 * coalition still make a quorum, while R alone does not) and a script (see Script); per round, from the
 * seed and the script:
 * - targeted delivery: D's and the coalition's non-nil prevotes (a polka shown to D, hidden from R) and/or
 *   precommits and the height's commit certificate (D decides, R does not see it) reach R only at an
 *   adversary-chosen later time, at most GST;
 * - timing: it stalls R's polkas (D's prevotes hidden, its own votes nil) until the round after the split is
 *   one it proposes, so no correct proposer re-proposes R's locked value first;
 * - selective equivocation: the coalition prevotes/precommits to each recipient the value that recipient was
 *   proposed (whatever its own lock says: amnesia), but nil to R in the rounds whose votes are hidden from R,
 *   so R still sees +2/3 of something and moves on;
 * - vote withholding: no vote at all to a random few recipients;
 * - as proposer (its members propose and vote in step with the correct validators, not when their own
 *   engines get there): the honest proposal, a fresh value after a round in which correct validators locked,
 *   an old value with the round of its real polka (stale), an old or new value claiming the previous round
 *   as validRound where it had no polka (wrong), or an invalid value; sometimes one proposal to D, another to R;
 * - a crash of a correct validator of R just after it precommitted a value (it must remember its lock).
 * After GST the network is the simulator's again (no holds) and the coalition's votes stop splitting.
 */

export type ProposalTactic = "honest" | "fresh" | "stale" | "wrongValidRound" | "invalid";
/**
 * The proposer's tactics, chosen when it proposes: with no polka yet at its height; once some correct
 * validators may have locked; and once two polkas for different values happened (some correct validators
 * may be locked on the later one while the earlier one's polka is known: the stale re-proposal's chance).
 */
const NO_POLKA: readonly ProposalTactic[] = ["honest", "honest", "fresh", "invalid"];
const AFTER_POLKA: readonly ProposalTactic[] = ["fresh", "fresh", "wrongValidRound", "wrongValidRound", "invalid", "honest"];
const AFTER_TWO_POLKAS: readonly ProposalTactic[] = ["stale", "stale", "stale", "fresh", "wrongValidRound"];

/** A coalition message is a proposal or a vote; the simulator wraps it. */
export type CoalitionMessage = { kind: "proposal"; proposal: Proposal } | { kind: "vote"; vote: Vote };

/**
 * How a height's rounds hide votes from R. lockSplit: R sees the polka (and locks) but not D's precommits
 * (D decides, R moves on locked), until a polka happened; after it R may decide again (what a broken lock
 * lets it decide is another value). hiddenPolka: the first round's polka only D sees (D locks, R does not),
 * then lockSplit (R locks another value later while the first polka is known: the stale re-proposal's
 * chance). random: each round on its own.
 */
type Script = "lockSplit" | "hiddenPolka" | "random";
const SCRIPTS: readonly Script[] = ["lockSplit", "hiddenPolka", "random"];

interface HeightPlan {
  attacked: boolean;
  deciders: Set<number>;
  script: Script;
  /** The first round the coalition planned at this height (hiddenPolka hides its prevotes). */
  firstRound: number | undefined;
  /** The split round has been played: later rounds hide nothing. */
  splitDone: boolean;
  /** Crash each validator of R once, just after it precommits a value at this height. */
  crashR: boolean;
}

interface RoundPlan {
  /** No polka for R this round: D's prevotes hidden from R, and the coalition votes nil. */
  stall: boolean;
  hidePrevotes: boolean;
  hidePrecommits: boolean;
  withhold: Set<number>;
  /** Honest proposal to D, the tactic's to R. */
  splitProposal: boolean;
}

/** Held messages are released at most this long after GST (the model: delivered by GST + delta). */
const RELEASE_AFTER_GST_MAX_MS = 100;

export class Coalition {
  private readonly rng: Rng;
  private readonly power: readonly number[];
  private readonly total: number;
  private readonly correct: readonly number[];
  private readonly members: ReadonlySet<number>;
  private readonly gstMs: number;
  private readonly heights = new Map<number, HeightPlan>();
  private readonly rounds = new Map<string, RoundPlan>();
  /** Per height: the first proposal value sent to each node per round (`to/round`). */
  private readonly proposalTo = new Map<number, Map<string, string>>();
  /** Per height: prevote power per `round/value` (first prevote per validator and value), to know polkas. */
  private readonly prevotes = new Map<number, Map<string, Set<number>>>();
  /** Per height: values proposed, in order (the stale tactics pick among them). */
  private readonly proposed = new Map<number, string[]>();
  /** Release times already chosen, per `recipient/message`: a re-sent copy is held as long as the first. */
  private readonly releases = new Map<string, number>();
  private highestHeight = 0;
  private readonly acted = new Set<string>();
  /** `node/height` already considered for a crash (once each, or a replayed precommit would crash it again). */
  private readonly crashed = new Set<string>();
  private readonly log: (line: string) => void;
  private readonly proposer: (height: number, round: number) => number;

  constructor(opts: {
    rng: Rng;
    power: readonly number[];
    members: readonly number[];
    gstMs: number;
    /** The proposer of (height, round): the coalition times its split to propose right after it. */
    proposer: (height: number, round: number) => number;
    log?: (line: string) => void;
  }) {
    this.proposer = opts.proposer;
    this.log = opts.log ?? (() => {});
    this.rng = opts.rng;
    this.power = opts.power;
    this.total = opts.power.reduce((s, p) => s + p, 0);
    this.members = new Set(opts.members);
    this.correct = opts.power.map((_, i) => i).filter((i) => !this.members.has(i));
    this.gstMs = opts.gstMs;
  }

  /** Members act once per (height, round, message kind): the first call for it returns true. */
  claim(member: number, height: number, round: number, kind: string): boolean {
    const key = `${member}/${height}/${round}/${kind}`;
    if (this.acted.has(key)) return false;
    if (this.acted.size > 20_000) this.acted.clear();
    this.acted.add(key);
    return true;
  }

  get memberList(): number[] {
    return [...this.members];
  }

  private plan(height: number): HeightPlan {
    let plan = this.heights.get(height);
    if (plan === undefined) {
      const splits = this.splits();
      const attacked = splits.length > 0 && this.rng.chance(0.8);
      plan = {
        attacked,
        deciders: new Set(attacked ? this.rng.pick(splits) : []),
        script: this.rng.pick(SCRIPTS),
        firstRound: undefined,
        splitDone: false,
        crashR: this.rng.chance(0.3),
      };
      this.heights.set(height, plan);
      const split = `deciders ${[...plan.deciders].join(",")}, ${plan.script}${plan.crashR ? ", crash R" : ""}`;
      this.log(`coalition h${height}: ${attacked ? split : "no split"}`);
      this.prune(height);
    }
    return plan;
  }

  /**
   * The sets D of correct validators that can be split off: under 1/3 of the power (so R and the coalition make
   * +2/3 without D: R moves on, and later decides without D), yet R alone is not +2/3 (so D's decision needs
   * the votes R cannot see). Computed once (the validator set is fixed in the simulator).
   */
  private splitsCache: number[][] | undefined;

  private splits(): number[][] {
    if (this.splitsCache !== undefined) return this.splitsCache;
    const byzantine = this.total - this.correct.reduce((s, i) => s + this.power[i], 0);
    const found: number[][] = [];
    for (let mask = 1; mask < 1 << this.correct.length && mask < 1 << 12; mask++) {
      const set = this.correct.filter((_, bit) => (mask >> bit) & 1);
      const d = set.reduce((s, i) => s + this.power[i], 0);
      if (d * 3 < this.total && (d + byzantine) * 3 >= this.total) found.push(set);
    }
    this.splitsCache = found;
    return found;
  }

  private roundPlan(h: number, round: number): RoundPlan {
    const key = `${h}/${round}`;
    let plan = this.rounds.get(key);
    if (plan === undefined) {
      const withhold = new Set(this.correct.filter(() => this.rng.chance(0.1)));
      const height = this.plan(h);
      height.firstRound ??= round;
      const script = height.script;
      const first = height.firstRound === round;
      // The split round is the one whose polka R locks on while D decides; it pays only if the coalition
      // proposes next (a correct proposer would re-propose R's locked value), so until such a round the
      // coalition stalls (R sees no polka); after the split R must be able to decide (again).
      const scripted = script !== "random" && !height.splitDone && !(script === "hiddenPolka" && first);
      const nextIsOurs = this.members.has(this.proposer(h, round + 1));
      const splitRound = scripted && nextIsOurs;
      const stall = scripted && !nextIsOurs;
      if (splitRound) height.splitDone = true;
      plan = {
        hidePrevotes: script === "random" ? this.rng.chance(0.5) : stall || (script === "hiddenPolka" && first),
        hidePrecommits: script === "random" ? this.rng.chance(0.6) : splitRound,
        stall,
        withhold,
        splitProposal: this.rng.chance(0.25),
      };
      this.rounds.set(key, plan);
      this.log(
        `coalition h${h} r${round}: hide prevotes ${plan.hidePrevotes}, precommits ${plan.hidePrecommits}${stall ? ", stall" : ""}, withhold [${[...withhold].join(",")}]${plan.splitProposal ? ", split proposal" : ""}`,
      );
    }
    return plan;
  }

  /** Keeps memory bounded: forget heights more than 3 behind the newest. */
  private prune(height: number): void {
    if (height <= this.highestHeight) return;
    this.highestHeight = height;
    const old = height - 3;
    for (const map of [this.heights, this.proposalTo, this.prevotes, this.proposed]) map.delete(old);
    for (const key of this.rounds.keys()) if (Number(key.split("/")[0]) <= old) this.rounds.delete(key);
    if (this.releases.size > 50_000) this.releases.clear();
    if (this.crashed.size > 10_000) this.crashed.clear();
  }

  private inR(height: number, node: number): boolean {
    const plan = this.plan(height);
    return plan.attacked && !plan.deciders.has(node) && !this.members.has(node);
  }

  /** Every message the network carries passes here: the coalition sees all traffic. */
  observe(to: number, msg: CoalitionMessage): void {
    if (msg.kind === "proposal") {
      const p = msg.proposal;
      let sent = this.proposalTo.get(p.height);
      if (sent === undefined) this.proposalTo.set(p.height, (sent = new Map()));
      const key = `${to}/${p.round}`;
      if (!sent.has(key)) sent.set(key, p.value);
      let values = this.proposed.get(p.height);
      if (values === undefined) this.proposed.set(p.height, (values = []));
      if (!values.includes(p.value)) values.push(p.value);
      return;
    }
    const v = msg.vote;
    if (v.type !== PREVOTE || v.value === null) return;
    let tally = this.prevotes.get(v.height);
    if (tally === undefined) this.prevotes.set(v.height, (tally = new Map()));
    const key = `${v.round}/${v.value}`;
    let voters = tally.get(key);
    if (voters === undefined) tally.set(key, (voters = new Set()));
    voters.add(v.validator);
  }

  /** The polkas (as the coalition saw the traffic) at rounds below `round`. */
  private polkasBefore(height: number, round: number): { round: number; value: string }[] {
    const found: { round: number; value: string }[] = [];
    for (const key of this.prevotes.get(height)?.keys() ?? []) {
      const slash = key.indexOf("/");
      const r = Number(key.slice(0, slash));
      const value = key.slice(slash + 1);
      if (r < round && this.hasPolka(height, r, value)) found.push({ round: r, value });
    }
    return found;
  }

  private hasPolka(height: number, round: number, value: string): boolean {
    const voters = this.prevotes.get(height)?.get(`${round}/${value}`);
    if (voters === undefined) return false;
    let power = 0;
    for (const i of voters) power += this.power[i];
    return power * 3 > this.total * 2;
  }

  /**
   * Targeted delivery: the virtual time at which `msg` may reach `to`, or undefined for the network's
   * ordinary delay. Only before GST, and never later than GST (plus a little).
   */
  releaseTime(to: number, msg: CoalitionMessage | { kind: "certificate"; height: number }, now: number): number | undefined {
    if (now >= this.gstMs) return undefined;
    const height = msg.kind === "proposal" ? msg.proposal.height : msg.kind === "vote" ? msg.vote.height : msg.height;
    if (!this.inR(height, to)) return undefined;
    let key: string;
    let minMs: number;
    let maxMs: number;
    if (msg.kind === "certificate") {
      key = `${to}/c${height}`;
      minMs = 8000;
      maxMs = 25_000;
    } else if (msg.kind === "vote") {
      const v = msg.vote;
      // D's votes, and the coalition's own (which D relays) that R was shown as nil.
      const hiddenSender = this.plan(height).deciders.has(v.validator) || this.members.has(v.validator);
      if (v.value === null || !hiddenSender) return undefined;
      const round = this.roundPlan(height, v.round);
      if (v.type === PREVOTE && !round.hidePrevotes) return undefined;
      if (v.type === PRECOMMIT && !round.hidePrecommits) return undefined;
      key = `${to}/${v.validator}/${height}/${v.round}/${v.type}/${v.value}`;
      [minMs, maxMs] = v.type === PREVOTE ? [2000, 8000] : [8000, 25_000];
    } else {
      return undefined;
    }
    let at = this.releases.get(key);
    if (at === undefined) {
      at = Math.min(now + this.rng.int(minMs, maxMs), this.gstMs + this.rng.int(1, RELEASE_AFTER_GST_MAX_MS));
      this.releases.set(key, at);
    }
    return at > now ? at : undefined;
  }

  /**
   * What a coalition member sends to `to` in place of its engine's message `msg` (undefined: nothing).
   * `fresh(valid)` makes a new value.
   */
  messageFor(
    to: number,
    msg: CoalitionMessage,
    now: number,
    fresh: (valid: boolean) => string,
  ): CoalitionMessage | undefined {
    if (msg.kind === "proposal") return this.proposalFor(to, msg.proposal, fresh);
    const v = msg.vote;
    const round = this.roundPlan(v.height, v.round);
    const beforeGst = now < this.gstMs;
    if (beforeGst && round.stall) return { kind: "vote", vote: { ...v, value: null } };
    const hidden = v.type === PREVOTE ? round.hidePrevotes : round.hidePrecommits;
    if (beforeGst && hidden && this.inR(v.height, to)) return { kind: "vote", vote: { ...v, value: null } };
    // Withheld only where the split does not need this vote (R counts the coalition's nil to move on).
    if (beforeGst && round.withhold.has(to)) return undefined;
    // Amnesia: vote for what the recipient was proposed, whatever this member's lock says.
    const proposed = this.proposalTo.get(v.height)?.get(`${to}/${v.round}`);
    const value = proposed !== undefined && proposed.startsWith("ok-") ? proposed : v.value;
    return { kind: "vote", vote: { ...v, value } };
  }

  /** One tactic's proposal per round (the same object to everyone it goes to). */
  private readonly tacticProposals = new Map<string, Proposal>();

  private proposalFor(to: number, honest: Proposal, fresh: (valid: boolean) => string): CoalitionMessage {
    const round = this.roundPlan(honest.height, honest.round);
    const plan = this.plan(honest.height);
    if (round.splitProposal && plan.deciders.has(to)) return { kind: "proposal", proposal: honest };
    const key = `${honest.height}/${honest.round}`;
    let p = this.tacticProposals.get(key);
    if (p === undefined) {
      const polkaValues = new Set(this.polkasBefore(honest.height, honest.round).map((x) => x.value));
      const tactics = polkaValues.size >= 2 ? AFTER_TWO_POLKAS : polkaValues.size === 1 ? AFTER_POLKA : NO_POLKA;
      const tactic = this.rng.pick(tactics);
      this.log(`coalition h${honest.height} r${honest.round}: proposal ${tactic}`);
      p = this.tacticProposal(honest, tactic, fresh);
      this.tacticProposals.set(key, p);
      if (this.tacticProposals.size > 1000) this.tacticProposals.clear();
    }
    return { kind: "proposal", proposal: p };
  }

  private tacticProposal(honest: Proposal, tactic: ProposalTactic, fresh: (valid: boolean) => string): Proposal {
    const { height, round } = honest;
    const earlier = (this.proposed.get(height) ?? []).filter((v) => v.startsWith("ok-"));
    switch (tactic) {
      case "honest": {
        // What a correct proposer would send: the latest polka's value with its round, or a new value.
        for (let r = round - 1; r >= 0; r--) {
          const value = earlier.find((v) => this.hasPolka(height, r, v));
          if (value !== undefined) return { ...honest, value, polRound: r };
        }
        return honest;
      }
      case "invalid":
        return { ...honest, value: fresh(false), polRound: -1 };
      case "stale": {
        // An old value with the round of a real polka for it (correct validators locked later must refuse).
        for (let r = 0; r < round; r++) {
          const value = earlier.find((v) => this.hasPolka(height, r, v));
          if (value !== undefined && value !== honest.value) return { ...honest, value, polRound: r };
        }
        return { ...honest, value: fresh(true), polRound: -1 };
      }
      case "wrongValidRound": {
        // An old value (not the latest polka's: validators locked on that one would vote for it anyway), or
        // else a new one, claiming the previous round as its validRound, where it had no polka. The latest
        // round, so no correct lock is later than it: only the polka check at L28 refuses it.
        if (round === 0) return { ...honest, value: fresh(true), polRound: -1 };
        const latest = this.polkasBefore(height, round).sort((a, b) => b.round - a.round)[0]?.value;
        const old = earlier.find((v) => v !== latest && !this.hasPolka(height, round - 1, v));
        return { ...honest, value: old ?? fresh(true), polRound: round - 1 };
      }
      case "fresh":
        return { ...honest, value: fresh(true), polRound: -1 };
    }
  }

  /** Whether to crash correct validator `node` now, just after it precommitted `vote` (then for how long). */
  crashAfterPrecommit(node: number, vote: Vote, now: number): number | undefined {
    if (now >= this.gstMs || vote.type !== PRECOMMIT || vote.value === null) return undefined;
    if (!this.inR(vote.height, node)) return undefined;
    const key = `${node}/${vote.height}`;
    if (!this.plan(vote.height).crashR || this.crashed.has(key)) return undefined;
    this.crashed.add(key);
    return this.rng.int(200, 2000);
  }
}

import { describe, expect, it } from "vitest";
import { Engine } from "../../consensus/engine/engine.ts";
import {
  DEFAULT_TIMEOUTS,
  type Effect,
  PRECOMMIT,
  PREVOTE,
  type Proposal,
  type ValueId,
  type Vote,
} from "../../consensus/engine/types.ts";
import { VoteKeeper } from "../../consensus/engine/vote-keeper.ts";

/**
 * The rules of Algorithm 1 ("The latest gossip on BFT consensus"), one by one, named by the paper's lines.
 * Four validators of power 1 unless said otherwise; the proposer of round r is validator r % 4.
 */
const H = 1;

function start(self: number | undefined, powers = [1, 1, 1, 1]): { engine: Engine; effects: Effect[] } {
  const engine = new Engine();
  const effects = engine.handle({
    type: "startHeight",
    params: {
      height: H,
      validators: powers.map((power) => ({ power })),
      proposer: (r) => r % powers.length,
      self,
      timeouts: DEFAULT_TIMEOUTS,
    },
  });
  return { engine, effects };
}

const proposal = (round: number, value: ValueId, polRound = -1): Proposal => ({
  height: H,
  round,
  value,
  polRound,
  validator: round % 4,
});
const prevote = (validator: number, round: number, value: ValueId | null): Vote => ({
  type: PREVOTE,
  height: H,
  round,
  value,
  validator,
});
const precommit = (validator: number, round: number, value: ValueId | null): Vote => ({
  type: PRECOMMIT,
  height: H,
  round,
  value,
  validator,
});

/** Feeds inputs and returns every effect, in order. */
function run(engine: Engine, ...inputs: Parameters<Engine["handle"]>[0][]): Effect[] {
  return inputs.flatMap((i) => engine.handle(i));
}

const votesOf = (effects: Effect[]) =>
  effects.filter((e) => e.type === "publishVote").map((e) => (e.type === "publishVote" ? e.vote : undefined));

/** A valid proposal for `value` in `round`, with its validity answered. */
function propose(engine: Engine, round: number, value: ValueId, polRound = -1, valid = true): Effect[] {
  return run(
    engine,
    { type: "proposal", proposal: proposal(round, value, polRound) },
    { type: "validity", height: H, value, valid },
  );
}

/** Locks validator `self` on `value` in `round` (a proposal and a polka from the others). */
function lockOn(engine: Engine, self: number, round: number, value: ValueId): void {
  propose(engine, round, value);
  for (const v of [0, 1, 2, 3].filter((i) => i !== self)) run(engine, { type: "vote", vote: prevote(v, round, value) });
}

describe("StartRound (L11-L21)", () => {
  it("the proposer asks for a value, proposes it with polRound -1, and prevotes it", () => {
    const { engine, effects } = start(0);
    expect(effects).toContainEqual({ type: "getValue", height: H, round: 0 });
    const out = run(engine, { type: "valueReady", height: H, round: 0, value: "A" });
    expect(out).toContainEqual({ type: "publishProposal", proposal: proposal(0, "A") });
    expect(votesOf(out)).toEqual([prevote(0, 0, "A")]);
  });

  it("a non-proposer schedules the propose timeout, growing with the round", () => {
    const { effects } = start(1);
    expect(effects).toContainEqual({ type: "scheduleTimeout", kind: "propose", height: H, round: 0, durationMs: 3000 });
    expect(effects.some((e) => e.type === "getValue")).toBe(false);
  });

  it("L15-L16: a proposer holding a valid value re-proposes it with its valid round", () => {
    const { engine } = start(1);
    lockOn(engine, 1, 0, "A"); // validValue = A, validRound = 0
    const out = run(engine, { type: "timeout", kind: "precommit", height: H, round: 0 });
    expect(out).toContainEqual({ type: "publishProposal", proposal: { ...proposal(1, "A", 0), validator: 1 } });
    expect(out.some((e) => e.type === "getValue")).toBe(false);
  });
});

describe("prevote (L22-L33)", () => {
  it("L22-L27: prevotes a valid proposal, nil for an invalid one", () => {
    const a = start(1).engine;
    expect(votesOf(propose(a, 0, "A"))).toEqual([prevote(1, 0, "A")]);
    const b = start(1).engine;
    expect(votesOf(propose(b, 0, "BAD", -1, false))).toEqual([prevote(1, 0, null)]);
  });

  it("waits for validity before prevoting", () => {
    const { engine } = start(1);
    expect(votesOf(run(engine, { type: "proposal", proposal: proposal(0, "A") }))).toEqual([]);
    expect(votesOf(run(engine, { type: "validity", height: H, value: "A", valid: true }))).toEqual([prevote(1, 0, "A")]);
  });

  it("ignores a proposal from anyone but the round's proposer", () => {
    const { engine } = start(1);
    const out = run(engine, { type: "proposal", proposal: { ...proposal(0, "A"), validator: 2 } });
    expect(out).toEqual([]);
  });

  it("L22: locked on A, prevotes nil for a new value B and A for A", () => {
    const { engine } = start(1);
    lockOn(engine, 1, 0, "A");
    expect(engine.lock).toMatchObject({ lockedValue: "A", lockedRound: 0 });
    run(engine, { type: "timeout", kind: "precommit", height: H, round: 0 }); // round 1, proposer is us: re-proposes A
    run(engine, { type: "timeout", kind: "precommit", height: H, round: 1 });
    expect(engine.currentRound).toBe(2);
    expect(votesOf(propose(engine, 2, "B"))).toEqual([prevote(1, 2, null)]);
  });

  it("L28-L33: unlocks on a later polka: locked on A at round 0, prevotes B proposed with a polka at round 1", () => {
    const { engine } = start(3);
    lockOn(engine, 3, 0, "A");
    run(engine, { type: "timeout", kind: "precommit", height: H, round: 0 });
    // Round 1: B gets a polka this node missed at the time, and it moves on to round 2.
    for (const v of [0, 1, 2]) run(engine, { type: "vote", vote: prevote(v, 1, "B") });
    run(engine, { type: "timeout", kind: "precommit", height: H, round: 1 });
    expect(engine.currentRound).toBe(2);
    expect(votesOf(propose(engine, 2, "B", 1))).toEqual([prevote(3, 2, "B")]);
  });

  it("L28: without the polka for the proof-of-lock round, a locked node prevotes nil", () => {
    const { engine } = start(3);
    lockOn(engine, 3, 0, "A");
    run(engine, { type: "timeout", kind: "precommit", height: H, round: 0 });
    run(engine, { type: "timeout", kind: "precommit", height: H, round: 1 });
    for (const v of [0, 1]) run(engine, { type: "vote", vote: prevote(v, 1, "B") }); // only 2 of 4
    expect(votesOf(propose(engine, 2, "B", 1))).toEqual([]); // waits for the polka, then the timeout decides
    expect(votesOf(run(engine, { type: "timeout", kind: "propose", height: H, round: 2 }))).toEqual([prevote(3, 2, null)]);
  });
});

describe("precommit (L34-L48)", () => {
  it("L36-L43: a polka for the proposal locks, precommits it and records the valid value", () => {
    const { engine } = start(1);
    propose(engine, 0, "A");
    const out = run(engine, { type: "vote", vote: prevote(0, 0, "A") }, { type: "vote", vote: prevote(2, 0, "A") });
    expect(votesOf(out)).toEqual([precommit(1, 0, "A")]);
    expect(engine.lock).toEqual({ lockedValue: "A", lockedRound: 0, validValue: "A", validRound: 0 });
  });

  it("L36: a polka seen after precommitting nil updates the valid value only", () => {
    const { engine } = start(1);
    propose(engine, 0, "A"); // we prevote A
    run(engine, { type: "vote", vote: prevote(0, 0, null) }, { type: "vote", vote: prevote(2, 0, null) }); // +2/3 any
    const out = run(engine, { type: "timeout", kind: "prevote", height: H, round: 0 });
    expect(votesOf(out)).toEqual([precommit(1, 0, null)]); // L61
    // Then A gets its polka (validator 0 equivocates, and its vote for the proposed value counts too).
    const later = run(engine, { type: "vote", vote: prevote(3, 0, "A") }, { type: "vote", vote: prevote(0, 0, "A") });
    expect(votesOf(later)).toEqual([]); // no second precommit
    expect(engine.lock).toEqual({ lockedValue: null, lockedRound: -1, validValue: "A", validRound: 0 });
  });

  it("L34-L35 and L47-L48: schedule the prevote and precommit timeouts once per round", () => {
    const { engine } = start(1);
    propose(engine, 0, "A");
    const out = run(
      engine,
      { type: "vote", vote: prevote(0, 0, "B") },
      { type: "vote", vote: prevote(2, 0, null) },
      { type: "vote", vote: prevote(3, 0, "C") },
    );
    const timeouts = out.filter((e) => e.type === "scheduleTimeout");
    expect(timeouts).toEqual([{ type: "scheduleTimeout", kind: "prevote", height: H, round: 0, durationMs: 1000 }]);
    run(engine, { type: "timeout", kind: "prevote", height: H, round: 0 });
    const pc = run(
      engine,
      { type: "vote", vote: precommit(0, 0, "B") },
      { type: "vote", vote: precommit(2, 0, null) },
      { type: "vote", vote: precommit(3, 0, "C") },
    );
    expect(pc.filter((e) => e.type === "scheduleTimeout")).toEqual([
      { type: "scheduleTimeout", kind: "precommit", height: H, round: 0, durationMs: 1000 },
    ]);
  });

  it("L44-L46: a polka for nil precommits nil", () => {
    const { engine } = start(1);
    propose(engine, 0, "A");
    const out = run(engine, { type: "vote", vote: prevote(0, 0, null) }, { type: "vote", vote: prevote(2, 0, null) });
    expect(votesOf(out)).toEqual([]);
    expect(votesOf(run(engine, { type: "vote", vote: prevote(3, 0, null) }))).toEqual([precommit(1, 0, null)]);
  });
});

describe("decide, skip, timeouts (L49-L67)", () => {
  it("L49-L54: a proposal with +2/3 precommits decides, with those precommits as the commit", () => {
    const { engine } = start(1);
    propose(engine, 0, "A");
    const out = run(
      engine,
      { type: "vote", vote: precommit(0, 0, "A") },
      { type: "vote", vote: precommit(2, 0, "A") },
      { type: "vote", vote: precommit(3, 0, "A") },
    );
    const decide = out.find((e) => e.type === "decide");
    expect(decide).toEqual({
      type: "decide",
      height: H,
      round: 0,
      value: "A",
      precommits: [precommit(0, 0, "A"), precommit(2, 0, "A"), precommit(3, 0, "A")],
    });
    expect(engine.decision).toBe("A");
  });

  it("L49: decides a value committed in an earlier round while in a later one", () => {
    const { engine } = start(1);
    propose(engine, 0, "A");
    run(engine, { type: "timeout", kind: "propose", height: H, round: 0 });
    for (const v of [0, 2, 3]) run(engine, { type: "vote", vote: precommit(v, 1, null) }); // moves on
    run(engine, { type: "timeout", kind: "precommit", height: H, round: 0 });
    expect(engine.currentRound).toBeGreaterThanOrEqual(1);
    const out = [0, 2, 3].flatMap((v) => run(engine, { type: "vote", vote: precommit(v, 0, "A") }));
    expect(out.some((e) => e.type === "decide" && e.value === "A" && e.round === 0)).toBe(true);
  });

  it("L55-L56: f+1 messages from a higher round skip to it", () => {
    const { engine } = start(1);
    expect(run(engine, { type: "vote", vote: prevote(2, 5, "X") }).some((e) => e.type === "newRound")).toBe(false);
    const out = run(engine, { type: "vote", vote: precommit(3, 5, null) });
    expect(out).toContainEqual({ type: "newRound", height: H, round: 5, proposer: 1 });
    expect(engine.currentRound).toBe(5);
  });

  it("L57-L67: propose timeout prevotes nil, prevote timeout precommits nil, precommit timeout starts the next round", () => {
    const { engine } = start(1);
    expect(votesOf(run(engine, { type: "timeout", kind: "propose", height: H, round: 0 }))).toEqual([prevote(1, 0, null)]);
    expect(votesOf(run(engine, { type: "timeout", kind: "prevote", height: H, round: 0 }))).toEqual([precommit(1, 0, null)]);
    const next = run(engine, { type: "timeout", kind: "precommit", height: H, round: 0 });
    expect(next).toContainEqual({ type: "newRound", height: H, round: 1, proposer: 1 });
    expect(next).toContainEqual({ type: "scheduleTimeout", kind: "propose", height: H, round: 1, durationMs: 3500 });
  });

  it("stale timeouts (an earlier round or another step) do nothing", () => {
    const { engine } = start(1);
    run(engine, { type: "timeout", kind: "propose", height: H, round: 0 });
    expect(run(engine, { type: "timeout", kind: "propose", height: H, round: 0 })).toEqual([]);
    expect(run(engine, { type: "timeout", kind: "prevote", height: H, round: 3 })).toEqual([]);
  });
});

describe("votes: weighting, deduplication, evidence", () => {
  it("thresholds weigh voting power: 3 of 6 is not +2/3, 5 of 6 is", () => {
    const keeper = new VoteKeeper([{ power: 3 }, { power: 1 }, { power: 1 }, { power: 1 }]);
    keeper.add(prevote(0, 0, "A"), 0);
    expect(keeper.quorumFor(PREVOTE, 0, "A")).toBe(false);
    keeper.add(prevote(1, 0, "A"), 0);
    expect(keeper.quorumFor(PREVOTE, 0, "A")).toBe(false); // 4 of 6 is exactly 2/3, not more
    keeper.add(prevote(2, 0, "A"), 0);
    expect(keeper.quorumFor(PREVOTE, 0, "A")).toBe(true);
    expect(keeper.skipQuorum(0)).toBe(true);
  });

  it("a duplicate vote counts once", () => {
    const keeper = new VoteKeeper([{ power: 1 }, { power: 1 }, { power: 1 }, { power: 1 }]);
    expect(keeper.add(prevote(0, 0, "A"), 0)).toEqual({ added: true });
    expect(keeper.add(prevote(0, 0, "A"), 0)).toEqual({ added: false, reason: "duplicate" });
    keeper.add(prevote(1, 0, "A"), 0);
    expect(keeper.quorumFor(PREVOTE, 0, "A")).toBe(false);
  });

  it("two different votes from one validator are evidence, reported once", () => {
    const { engine } = start(1);
    run(engine, { type: "vote", vote: prevote(2, 0, "A") });
    const out = run(engine, { type: "vote", vote: prevote(2, 0, "B") });
    expect(out).toContainEqual({ type: "evidence", first: prevote(2, 0, "A"), second: prevote(2, 0, "B") });
    expect(run(engine, { type: "vote", vote: prevote(2, 0, "C") }).some((e) => e.type === "evidence")).toBe(false);
  });

  it("refuses votes from unknown validators and rounds far ahead", () => {
    const keeper = new VoteKeeper([{ power: 1 }]);
    expect(keeper.add(prevote(5, 0, "A"), 0)).toMatchObject({ reason: "unknown validator" });
    expect(keeper.add(prevote(0, 50, "A"), 0)).toMatchObject({ reason: "round too far ahead" });
  });

  it("an equivocating proposer cannot hide a polka by flooding proposals: votes set aside count once it is proposed", () => {
    const { engine } = start(3); // D; validator 0 (B) proposes round 0 and equivocates
    for (const v of ["v1", "v2", "v3", "v4"]) propose(engine, 0, v); // D votes on the first: v1
    run(engine, { type: "vote", vote: prevote(0, 0, "v1") }, { type: "vote", vote: prevote(0, 0, "v5") }); // B, twice
    run(engine, { type: "vote", vote: prevote(1, 0, "v5") }, { type: "vote", vote: prevote(2, 0, "v5") }); // A, C
    const out = propose(engine, 0, "v5"); // a fifth proposal: kept, because a quorum backs it
    expect(engine.lock).toMatchObject({ validValue: "v5", validRound: 0 });
    expect(votesOf(out)).toEqual([precommit(3, 0, "v5")]);
  });

  it("a certificate (a verified commit from block sync) decides even if this node counted an equivocator", () => {
    const { engine } = start(1);
    run(engine, { type: "vote", vote: precommit(3, 0, null) }); // the equivocator's other face
    const commit = [precommit(0, 0, "A"), precommit(2, 0, "A"), precommit(3, 0, "A")];
    const out = run(
      engine,
      { type: "certificate", height: H, round: 0, value: "A", precommits: commit },
      { type: "validity", height: H, value: "A", valid: true },
    );
    expect(out.find((e) => e.type === "decide")).toMatchObject({ value: "A", round: 0 });
  });
});

describe("firstRound: a validator that cannot know what it voted in the first rounds sits them out", () => {
  it("starts at the given round, never voting in the rounds before it, yet decides on others' precommits there", () => {
    const engine = new Engine();
    const effects = engine.handle({
      type: "startHeight",
      params: {
        height: H,
        validators: [1, 1, 1, 1].map((power) => ({ power })),
        proposer: (r) => r % 4,
        self: 1,
        timeouts: DEFAULT_TIMEOUTS,
        firstRound: 2,
      },
    });
    expect(effects[0]).toMatchObject({ type: "newRound", height: H, round: 2 });
    expect(engine.currentRound).toBe(2);
    // Round 0's proposal and a quorum of prevotes for it: nothing is voted in round 0.
    const later = [
      ...propose(engine, 0, "A"),
      ...run(engine, ...[0, 2, 3].map((v) => ({ type: "vote" as const, vote: prevote(v, 0, "A") }))),
    ];
    expect(votesOf(later).filter((v) => v?.round === 0)).toEqual([]);
    // Others decide in round 0: this node decides with them.
    const decided = run(engine, ...[0, 2, 3].map((v) => ({ type: "vote" as const, vote: precommit(v, 0, "A") })));
    expect(decided.find((e) => e.type === "decide")).toMatchObject({ round: 0, value: "A" });
  });
});

describe("decidedWithoutProposal (when block sync must not wait)", () => {
  it("is true once +2/3 precommitted a value no proposal here carries, and false once it is decided", () => {
    const { engine } = start(3);
    expect(engine.decidedWithoutProposal).toBe(false);
    run(engine, { type: "vote", vote: precommit(0, 0, "X") }, { type: "vote", vote: precommit(1, 0, "X") });
    expect(engine.decidedWithoutProposal).toBe(false); // 2 of 4: no quorum yet
    run(engine, { type: "vote", vote: precommit(2, 0, "X") });
    expect(engine.decidedWithoutProposal).toBe(true);
    // The proposal arrives after all: the engine decides by itself (L49), so there is nothing to fetch.
    const effects = propose(engine, 0, "X");
    expect(effects.some((e) => e.type === "decide")).toBe(true);
    expect(engine.decidedWithoutProposal).toBe(false);
  });

  it("is false for a quorum of nil precommits, and true when only another value was proposed", () => {
    const nil = start(3).engine;
    for (const v of [0, 1, 2]) run(nil, { type: "vote", vote: precommit(v, 0, null) });
    expect(nil.decidedWithoutProposal).toBe(false);

    const other = start(3).engine;
    propose(other, 1, "Y"); // a proposal of another value, in a later round
    for (const v of [0, 1, 2]) run(other, { type: "vote", vote: precommit(v, 0, "X") });
    expect(other.decidedWithoutProposal).toBe(true);
  });
});

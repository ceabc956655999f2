import { describe, expect, it } from "vitest";
import {
  advancePriorities,
  decodeCheckpoint,
  encodeCheckpoint,
  incrementProposerPriority,
  initialPrioritySet,
  type PriorityCheckpoint,
  type PrioritySet,
  ProposerSchedule,
  updatePrioritySet,
} from "../../consensus/proposer.ts";

/** Names sort like the addresses CometBFT breaks ties with. */
function set(powers: Record<string, number>): PrioritySet {
  return initialPrioritySet(Object.entries(powers).map(([id, power]) => ({ id, power })));
}

/** The proposers of `n` consecutive heights (each height: one increment, round 0). */
function sequence(start: PrioritySet, n: number): string[] {
  const out: string[] = [];
  let s = start;
  for (let i = 0; i < n; i++) {
    const r = incrementProposerPriority(s, 1);
    out.push(s[r.proposer].id);
    s = r.set;
  }
  return out;
}

describe("proposer selection (CometBFT spec, proposer-selection.md)", () => {
  it("stable set p1:1, p2:3 elects p2, p1, p2, p2 and repeats, with the spec's priorities", () => {
    expect(sequence(set({ p1: 1, p2: 3 }), 8)).toEqual(["p2", "p1", "p2", "p2", "p2", "p1", "p2", "p2"]);
    // Run by run, the priority table of the spec: (p1, p2) = (1, -1), (-2, 2), (-1, 1), (0, 0).
    let s = set({ p1: 1, p2: 3 });
    const table: [bigint, bigint][] = [];
    for (let i = 0; i < 4; i++) {
      s = incrementProposerPriority(s, 1).set;
      table.push([s[0].priority, s[1].priority]);
    }
    expect(table).toEqual([[1n, -1n], [-2n, 2n], [-1n, 1n], [0n, 0n]]);
  });

  it("fairness example (p0,4) (p1,2) (p2,2) (p3,2)", () => {
    expect(sequence(set({ p0: 4, p1: 2, p2: 2, p3: 2 }), 10)).toEqual(
      ["p0", "p1", "p2", "p3", "p0", "p0", "p1", "p2", "p3", "p0"],
    );
  });

  it("faulty power aggregated in one process: (p0,3) and seven of power 1", () => {
    const s = set({ p0: 3, p1: 1, p2: 1, p3: 1, p4: 1, p5: 1, p6: 1, p7: 1 });
    expect(sequence(s, 20)).toEqual([
      "p0", "p1", "p2", "p3", "p0", "p4", "p5", "p6", "p7", "p0",
      "p0", "p1", "p2", "p3", "p0", "p4", "p5", "p6", "p7", "p0",
    ]);
  });

  it("validator removal: centring moves priorities back around zero and p1 is elected", () => {
    // After removing p2 from (p1:1, p2:2, p3:3) with priorities p1 = 1, p3 = -3 (the spec's table).
    const s: PrioritySet = [
      { id: "p1", power: 1n, priority: 1n },
      { id: "p3", power: 3n, priority: -3n },
    ];
    const r = incrementProposerPriority(s, 1);
    expect(s[r.proposer].id).toBe("p1");
    expect(r.set.map((v) => v.priority)).toEqual([-1n, 1n]);
  });

  it("a new validator starts far back (-1.125 P) and the next proposer is p1", () => {
    const s: PrioritySet = [
      { id: "p1", power: 1n, priority: 2n },
      { id: "p2", power: 3n, priority: -2n },
      { id: "p3", power: 8n, priority: -13n },
    ];
    // (The spec's table centres with avg -4; CometBFT's code uses big.Int.Div, i.e. -5. The proposer is the same.)
    expect(s[incrementProposerPriority(s, 1).proposer].id).toBe("p1");
  });

  it("rescales priorities whose spread exceeds 2P", () => {
    const s: PrioritySet = [
      { id: "a", power: 10n, priority: -60_000n },
      { id: "b", power: 10n, priority: 60_000n },
    ];
    const r = incrementProposerPriority(s, 1);
    const spread = r.set[1].priority - r.set[0].priority;
    expect(spread < 0n ? -spread : spread).toBeLessThanOrEqual(2n * 20n + 20n);
  });

  it("over P heights every validator proposes exactly its power's share", () => {
    const powers = { a: 5, b: 3, c: 1, d: 1 };
    const counts = new Map<string, number>();
    for (const id of sequence(set(powers), 10 * 10)) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ a: 50, b: 30, c: 10, d: 10 });
  });

  it("rounds of one height continue the same order; the next height starts after round 0", () => {
    const start = set({ p1: 1, p2: 3 });
    const schedule = new ProposerSchedule(start);
    const byRound = [0, 1, 2, 3].map((r) => start[schedule.proposer(r)].id);
    expect(byRound).toEqual(["p2", "p1", "p2", "p2"]);
    expect(new ProposerSchedule(schedule.nextHeight()).proposer(0)).toBe(0); // p1 proposes height 2
  });
});

describe("proposer priorities across validator set changes", () => {
  /** Proposers of `heights` heights when the set changes at every height (a tiny power change each time). */
  function changingEveryHeight(heights: number, carryOver: boolean): Map<string, number> {
    const counts = new Map<string, number>();
    const ids = ["aa", "bb", "cc", "dd"];
    let s = set(Object.fromEntries(ids.map((id) => [id, 1000])));
    for (let h = 0; h < heights; h++) {
      const r = incrementProposerPriority(s, 1);
      const id = s[r.proposer].id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
      // Someone stakes a little more to a different validator every height: a new set each time.
      const powers = ids.map((x, i) => ({ id: x, power: 1000 + (i === h % 4 ? h % 3 : 0) }));
      s = carryOver ? updatePrioritySet(r.set, powers) : initialPrioritySet(powers);
    }
    return counts;
  }

  it("stays fair when the set changes every height (restarting from zero would not)", () => {
    const fair = changingEveryHeight(400, true);
    for (const id of ["aa", "bb", "cc", "dd"]) expect(fair.get(id)).toBeGreaterThanOrEqual(90);
    // The failure mode the carry-over prevents: from all-zero priorities the top validator always wins.
    const restarted = changingEveryHeight(400, false);
    expect(Math.max(...restarted.values())).toBeGreaterThanOrEqual(200);
  });

  it("a newcomer starts behind everyone (-1.125 x total) and a removed validator is gone", () => {
    const s = updatePrioritySet(set({ p1: 10, p2: 10 }), [
      { id: "p1", power: 10 },
      { id: "p3", power: 10 },
    ]);
    expect(s.map((v) => v.id)).toEqual(["p1", "p3"]);
    const p1 = s.find((v) => v.id === "p1")?.priority as bigint;
    const p3 = s.find((v) => v.id === "p3")?.priority as bigint;
    expect(p3).toBeLessThan(p1);
    // Behind at first (p1 goes twice), then in turn: 4 of the first 10, 49 of the first 100.
    const next = sequence(s, 100);
    expect(next.slice(0, 2)).toEqual(["p1", "p1"]);
    expect(next.slice(0, 10).filter((id) => id === "p3")).toHaveLength(4);
    expect(next.filter((id) => id === "p3")).toHaveLength(49);
  });
});

describe("proposer-priority checkpoints", () => {
  const ids = ["aa", "bb", "cc", "dd", "ee"];
  /** A set that changes every 7 heights (someone stakes), with a newcomer from height 1500. */
  const newSetAt = (h: number) => {
    if (h % 7 !== 0 && h !== 1500) return undefined;
    const members = h >= 1500 ? ids : ids.slice(0, 4);
    return members.map((id, i) => ({ id, power: 100 + ((h + i) % 5) }));
  };
  const genesis = { height: 1, set: initialPrioritySet(ids.slice(0, 4).map((id) => ({ id, power: 100 }))) };

  it("walking on from a saved checkpoint gives exactly the priorities of a walk from genesis", () => {
    const saved: PriorityCheckpoint[] = [];
    const direct = advancePriorities(genesis, 2600, newSetAt, (c) => saved.push(c));
    expect(saved.map((c) => c.height)).toEqual([1000, 2000]);
    const restored = decodeCheckpoint(encodeCheckpoint(saved[1]));
    expect(restored).toEqual(saved[1]);
    expect(advancePriorities(restored, 2600, newSetAt)).toEqual(direct);
  });

  it("refuses a damaged checkpoint", () => {
    expect(() => decodeCheckpoint("{\"height\": \"x\"}")).toThrow(/malformed/);
  });
});

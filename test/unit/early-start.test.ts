import { expect, it } from "vitest";
import type { ChainInfo } from "../../consensus/application.ts";
import type { Commit, CommitSig, Validator } from "../../proto/block.ts";
import { EarlyStart } from "../../node/early-start.ts";

/**
 * The next height starts at once under backlog only with every validator's precommit for the decided block in
 * hand (the commit's, plus late ones), while the engine is still at that height, and once.
 */
/** Height 5 decided by `validators` validators, `inCommit` of whose precommits are in its stored commit. */
function setUp(validators: number, inCommit: number, backlogged: "yes" | "no" | "not asked" = "yes") {
  const state = { engineHeight: 5, commitHeight: 5, late: 0, started: [] as number[] };
  const signatures = Array<CommitSig>(inCommit);
  const early = new EarlyStart({
    app: {
      info: () => {
        const commit: Commit = { height: state.commitHeight, round: 0, blockHash: new Uint8Array(32), signatures };
        return { height: state.commitHeight, lastCommit: commit } as ChainInfo;
      },
      // Only height 5's set and late precommits count: asked of another height, there are none.
      validators: (h) => (h === 5 ? Array<Validator>(validators) : []),
    },
    late: { count: (h) => (h === 5 ? state.late : 0) },
    engineHeight: () => state.engineHeight,
    backlogged: backlogged === "not asked" ? undefined : () => backlogged === "yes",
    start: (height) => state.started.push(height),
  });
  return { early, state };
}

it("starts the next height once the decided block's precommits are all in hand, and only once", () => {
  const { early, state } = setUp(4, 3);
  early.consider(5);
  expect(state.started).toEqual([]); // the fourth precommit is missing
  state.late = 1; // it arrives late
  early.consider(5);
  early.consider(5);
  expect(state.started).toEqual([6]);
});

it("waits out the interval without a backlog (or a node that does not say), or once the engine has moved on", () => {
  for (const backlogged of ["no", "not asked"] as const) {
    const idle = setUp(1, 1, backlogged);
    idle.early.consider(5);
    expect(idle.state.started, backlogged).toEqual([]);
  }
  const moved = setUp(1, 1);
  moved.state.engineHeight = 6;
  moved.early.consider(5);
  expect(moved.state.started).toEqual([]);
});

it("judges the decided height's commit only: a stored commit of another height starts nothing", () => {
  const { early, state } = setUp(1, 1);
  state.commitHeight = 4; // the decided block's commit is not stored yet
  early.consider(5);
  expect(state.started).toEqual([]);
  state.commitHeight = 5;
  early.consider(5);
  expect(state.started).toEqual([6]);
});

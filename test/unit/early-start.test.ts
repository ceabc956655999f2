import { expect, it } from "vitest";
import type { ChainInfo } from "../../consensus/application.ts";
import type { Commit, CommitSig, Validator } from "../../proto/block.ts";
import { encodeBlock } from "../../proto/block.ts";
import { BlockBytes } from "../../node/block-bytes.ts";
import { EarlyStart } from "../../node/early-start.ts";
import { smallBlock } from "../helpers/max-block.ts";

/**
 * The next height starts at once under backlog only with every validator's precommit for the decided block in
 * hand (the commit's, plus late ones), while the engine is still at that height, and once.
 */
function setUp(validators: number, inCommit: number) {
  const state = { backlogged: true, engineHeight: 5, late: 0, started: [] as number[] };
  const signatures = Array<CommitSig>(inCommit);
  const commit: Commit = { height: 5, round: 0, blockHash: new Uint8Array(32), signatures };
  const early = new EarlyStart({
    app: {
      info: () => ({ height: 5, lastCommit: commit }) as ChainInfo,
      validators: () => Array<Validator>(validators),
    },
    late: { count: () => state.late },
    engineHeight: () => state.engineHeight,
    backlogged: () => state.backlogged,
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

it("waits out the interval without a backlog, or once the engine has moved on", () => {
  const idle = setUp(1, 1);
  idle.state.backlogged = false;
  idle.early.consider(5);
  expect(idle.state.started).toEqual([]);
  const moved = setUp(1, 1);
  moved.state.engineHeight = 6;
  moved.early.consider(5);
  expect(moved.state.started).toEqual([]);
});

it("a block's bytes are encoded once, or kept as received", () => {
  const bytes = new BlockBytes();
  const block = smallBlock({ height: 3 });
  const first = bytes.of(block);
  expect(first).toEqual(encodeBlock(block));
  expect(bytes.of(block)).toBe(first);
  const received = smallBlock({ height: 4 });
  const wire = encodeBlock(received);
  bytes.set(received, wire);
  expect(bytes.of(received)).toBe(wire);
});

import { describe, expect, it } from "vitest";
import { runSeeds } from "./run-seeds.ts";

/**
 * The simulator with the node's own gossip (what node/consensus-outbox.ts re-sends each tick: its proposal of
 * the current round, the votes it holds of the current and previous round, every validator's, and the
 * prevotes behind its lock and valid value), not the paper's. Until 2026-12-07 the node re-sent only its own
 * messages: a vote that reached one correct node and not another (a Byzantine validator's, or one lost with a
 * WAL) was never passed on, and heights went undecided after GST. The simulator must find that, and find
 * nothing with the node's gossip of today.
 */
describe("consensus simulation with the node's gossip", () => {
  it("4 validators, 1 Byzantine, 1,500 seeds; 7 validators, 2 Byzantine, 300 seeds: no violation", () => {
    const four = runSeeds({ from: 1, count: 1500, validators: 4, byzantine: 1, heights: 20, gossip: "node" });
    expect(four.failures).toEqual([]);
    expect(four.heightsDecided).toBe(1500 * 20);
    const seven = runSeeds({ from: 1, count: 300, validators: 7, byzantine: 2, heights: 20, gossip: "node" });
    expect(seven.failures).toEqual([]);
    expect(seven.heightsDecided).toBe(300 * 20);
  }, 300_000);

  it("the node's gossip before (its own messages only) leaves heights undecided, and the simulator finds it", () => {
    const s = runSeeds({ from: 1, count: 100, validators: 4, byzantine: 1, heights: 20, gossip: "own" });
    expect(s.failures.length).toBeGreaterThan(0);
    expect(s.failures[0]).toMatch(/decided|after GST/);
    expect(s.failures[0]).toMatch(/--gossip own/);
  }, 120_000);
});

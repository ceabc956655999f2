import { describe, expect, it } from "vitest";
import { runSeeds } from "./run-seeds.ts";
import { simulate } from "./simulator.ts";

describe("consensus simulation, 4 validators", () => {
  it("1 Byzantine of 4 (every fault kind, crashes, partitions, drops) over 1,500 seeds: no violation (the CLI runs more)", () => {
    const s = runSeeds({ from: 1, count: 1500, validators: 4, byzantine: 1, heights: 20 });
    expect(s.failures).toEqual([]);
    expect(s.heightsDecided).toBe(1500 * 20);
  }, 300_000);

  it("2 Byzantine of 4 (1/2 of the power) equivocating: the checker finds safety violations", () => {
    const s = runSeeds({ from: 1, count: 20, validators: 4, byzantine: 2, heights: 10, byzantineMode: "equivocate", equalPower: true });
    expect(s.safetyViolationSeeds).toBeGreaterThan(0);
  }, 120_000);

  it("a seed replays exactly", () => {
    const a = simulate({ seed: 99, validators: 4, byzantine: 1, heights: 10 });
    const b = simulate({ seed: 99, validators: 4, byzantine: 1, heights: 10 });
    expect(b).toEqual(a);
    expect(a.events).toBeGreaterThan(100);
  });
});

import { describe, expect, it } from "vitest";
import { runSeeds } from "./run-seeds.ts";

describe("consensus simulation, 7 validators", () => {
  it("2 Byzantine of 7 (every fault kind, crashes, partitions, drops) over 300 seeds: no violation (the CLI runs more)", () => {
    const s = runSeeds({ from: 1, count: 300, validators: 7, byzantine: 2, heights: 20 });
    expect(s.failures).toEqual([]);
    expect(s.heightsDecided).toBe(300 * 20);
  }, 300_000);

  it("3 Byzantine of 7 (over 1/3) equivocating: the checker finds safety violations", () => {
    const s = runSeeds({ from: 1, count: 10, validators: 7, byzantine: 3, heights: 10, byzantineMode: "equivocate", equalPower: true });
    expect(s.safetyViolationSeeds).toBeGreaterThan(0);
  }, 120_000);
});

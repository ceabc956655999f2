import { describe, expect, it } from "vitest";
import { runSeeds } from "./run-seeds.ts";
import { simulate } from "./simulator.ts";

/**
 * The real engine against the adversaries that only the locking rules defeat (coalition.ts: targeted
 * delivery before GST, selective equivocation, withholding, fresh / stale / wrong-validRound proposals, a
 * crash after a lock; amnesia), at just under 1/3 of the power with correct validators of unequal power:
 * no violation of agreement, validity, liveness after GST, the signer guard or evidence reporting.
 * mutations.test.ts shows the same runs catch the engine with any of those rules removed.
 */
describe("consensus simulation against lock-splitting adversaries", () => {
  it("4 validators, a coalition of 1 (just under 1/3 of the power), 400 seeds of 20 heights: no violation; seeds per minute printed", () => {
    const started = performance.now();
    const s = runSeeds({ from: 1, count: 400, validators: 4, byzantine: 1, heights: 20, byzantineMode: "coalition" });
    const minutes = (performance.now() - started) / 60_000;
    console.log(`coalition, 4 validators: ${Math.round(400 / minutes)} seeds of 20 heights per minute (wall clock, shared machine)`);
    expect(s.failures).toEqual([]);
    expect(s.heightsDecided).toBe(400 * 20);
  }, 120_000);

  it("7 validators, a coalition of 2, 60 seeds: no violation", () => {
    const s = runSeeds({ from: 1, count: 60, validators: 7, byzantine: 2, heights: 20, byzantineMode: "coalition" });
    expect(s.failures).toEqual([]);
    expect(s.heightsDecided).toBe(60 * 20);
  }, 120_000);

  it("a coalition seed replays exactly (its plans come from the seed too)", () => {
    const a = simulate({ seed: 7, validators: 4, byzantine: 1, heights: 10, byzantineMode: "coalition" });
    const b = simulate({ seed: 7, validators: 4, byzantine: 1, heights: 10, byzantineMode: "coalition" });
    expect(b).toEqual(a);
    expect(a.events).toBeGreaterThan(100);
  });

  it("4 validators, 1 amnesiac (prevotes what it is shown whatever its lock), 200 seeds: no violation", () => {
    const s = runSeeds({ from: 1, count: 200, validators: 4, byzantine: 1, heights: 20, byzantineMode: "amnesia" });
    expect(s.failures).toEqual([]);
    expect(s.heightsDecided).toBe(200 * 20);
  }, 120_000);
});

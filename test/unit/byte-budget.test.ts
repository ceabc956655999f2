import { describe, expect, it } from "vitest";
import { ByteBudget } from "../../p2p/byte-budget.ts";

describe("per-peer byte budget", () => {
  it("allows a burst, refills at its rate, and keeps peers apart", () => {
    let now = 0;
    const budget = new ByteBudget({ bytesPerSecond: 100, burstBytes: 400, now: () => now });
    expect(budget.charge("a", 400)).toBe(true); // the whole burst
    expect(budget.charge("a", 1)).toBe(false); // overdrawn: emptied
    expect(budget.charge("b", 400)).toBe(true); // another peer has its own
    now += 1000;
    expect(budget.charge("a", 100)).toBe(true); // one second refilled 100
    expect(budget.charge("a", 1)).toBe(false);
    now += 60_000;
    expect(budget.charge("a", 400)).toBe(true); // refills up to the burst, no further
    expect(budget.charge("a", 1)).toBe(false);
  });
});

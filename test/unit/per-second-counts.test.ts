import { describe, expect, it } from "vitest";
import { PerSecondCounts } from "../../p2p/per-second-counts.ts";

describe("PerSecondCounts", () => {
  const bounds = { perPeer: 10, strangers: 15 };

  it("holds each peer to its bound, and strangers together to theirs; a persistent peer only to its own", () => {
    const clock = { ms: 5_000 };
    const counts = new PerSecondCounts(() => clock.ms);
    expect(counts.fits("a", 10, true, bounds)).toBe(true);
    counts.count("a", 10, true);
    expect(counts.fits("a", 1, true, bounds)).toBe(false); // its own bound
    expect(counts.fits("b", 6, true, bounds)).toBe(false); // strangers' 15, though b has counted nothing
    expect(counts.fits("b", 5, true, bounds)).toBe(true);
    counts.count("b", 5, true);
    expect(counts.strangers).toBe(15);
    // A persistent peer does not draw on the strangers' bound, nor is it refused for it.
    expect(counts.fits("v", 10, false, bounds)).toBe(true);
    counts.count("v", 10, false);
    expect(counts.strangers).toBe(15);
    expect(counts.of("v")).toBe(10);
    expect(counts.fits("v", 1, false, bounds)).toBe(false);
  });

  it("a stranger's work counted for it alone (refused for its own excess) leaves the strangers' bound alone", () => {
    const counts = new PerSecondCounts(() => 0);
    counts.count("flooder", 50, false);
    expect(counts.of("flooder")).toBe(50);
    expect(counts.strangers).toBe(0);
    expect(counts.fits("other", 10, true, bounds)).toBe(true);
  });

  it("starts again at every wall-clock second, and holds only that second's peers", () => {
    const clock = { ms: 7_999 };
    const counts = new PerSecondCounts(() => clock.ms);
    counts.count("a", 10, true);
    expect(counts.fits("a", 1, true, bounds)).toBe(false);
    clock.ms = 8_000;
    expect(counts.of("a")).toBe(0);
    expect(counts.strangers).toBe(0);
    expect(counts.fits("a", 10, true, bounds)).toBe(true);
  });
});

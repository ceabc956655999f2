import { describe, expect, it } from "vitest";
import { PerSecondCounts, strangerTest } from "../../p2p/per-second-counts.ts";

describe("PerSecondCounts", () => {
  const bounds = { perPeer: 10, strangers: 15 };
  /** As the servers use it: counted (for the peer, and for strangers if it is one) only if it fits. */
  const take = (counts: PerSecondCounts, peer: string, n: number, stranger: boolean): boolean => {
    if (!counts.fits(peer, n, stranger, bounds)) return false;
    counts.count(peer, n);
    if (stranger) counts.countStrangers(n);
    return true;
  };

  it("holds each peer to its bound, and strangers together to theirs; a persistent peer only to its own", () => {
    const counts = new PerSecondCounts(() => 5_000);
    expect(take(counts, "a", 10, true)).toBe(true);
    expect(take(counts, "a", 1, true)).toBe(false); // its own bound
    expect(take(counts, "b", 6, true)).toBe(false); // strangers' 15, though b has counted nothing
    expect(counts.of("b")).toBe(0); // nothing counted for work refused
    expect(take(counts, "b", 5, true)).toBe(true);
    expect(counts.strangers).toBe(15);
    // A persistent peer does not draw on the strangers' bound, nor is it refused for it.
    expect(take(counts, "v", 10, false)).toBe(true);
    expect(counts.strangers).toBe(15);
    expect(counts.of("v")).toBe(10);
    expect(take(counts, "v", 1, false)).toBe(false);
  });

  it("a peer's own count (what it asked) leaves the strangers' count alone", () => {
    const counts = new PerSecondCounts(() => 0);
    counts.count("flooder", 50);
    expect(counts.of("flooder")).toBe(50);
    expect(counts.strangers).toBe(0);
    expect(counts.fits("other", 10, true, bounds)).toBe(true);
    counts.countStrangers(15);
    expect(counts.fits("other", 1, true, bounds)).toBe(false);
    expect(counts.fits("other", 1, false, bounds)).toBe(true);
  });

  it("starts again at every wall-clock second, and holds only that second's peers", () => {
    const clock = { ms: 7_999 };
    const counts = new PerSecondCounts(() => clock.ms);
    expect(take(counts, "a", 10, true)).toBe(true);
    expect(counts.fits("a", 1, true, bounds)).toBe(false);
    clock.ms = 8_000;
    expect(counts.of("a")).toBe(0);
    expect(counts.strangers).toBe(0);
    expect(counts.fits("a", 10, true, bounds)).toBe(true);
  });

  it("counts a peer's requests: ok within the bound, over past it, a flood past three times it", () => {
    const counts = new PerSecondCounts(() => 0);
    const answers = Array.from({ length: 7 }, () => counts.request("a", 2));
    expect(answers).toEqual(["ok", "ok", "over", "over", "over", "over", "flood"]);
    expect(counts.of("a")).toBe(7);
    expect(counts.strangers).toBe(0);
  });

  it("knows strangers only when some peers are named persistent", () => {
    expect(strangerTest(new Set())("anyone")).toBe(false);
    const isStranger = strangerTest(new Set(["v"]));
    expect(isStranger("v")).toBe(false);
    expect(isStranger("anyone")).toBe(true);
  });
});

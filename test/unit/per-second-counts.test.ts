import { describe, expect, it } from "vitest";
import { PerSecondCounts, strangerTest } from "../../p2p/per-second-counts.ts";

describe("PerSecondCounts", () => {
  it("counts each peer apart", () => {
    const counts = new PerSecondCounts(() => 5_000);
    counts.count("a", 10);
    counts.count("a", 2);
    counts.count("b", 1);
    expect(counts.of("a")).toBe(12);
    expect(counts.of("b")).toBe(1);
    expect(counts.of("c")).toBe(0);
  });

  it("starts again at every wall-clock second, and holds only that second's peers", () => {
    const clock = { ms: 7_999 };
    const counts = new PerSecondCounts(() => clock.ms);
    counts.count("a", 10);
    expect(counts.of("a")).toBe(10);
    clock.ms = 8_000;
    expect(counts.of("a")).toBe(0);
  });

  it("counts a peer's requests: ok within the bound, over past it, a flood past three times it", () => {
    const counts = new PerSecondCounts(() => 0);
    const answers = Array.from({ length: 7 }, () => counts.request("a", 2));
    expect(answers).toEqual(["ok", "ok", "over", "over", "over", "over", "flood"]);
    expect(counts.of("a")).toBe(7);
    expect(counts.of("b")).toBe(0);
  });

  it("knows strangers only when some peers are named persistent", () => {
    expect(strangerTest(new Set())("anyone")).toBe(false);
    const isStranger = strangerTest(new Set(["v"]));
    expect(isStranger("v")).toBe(false);
    expect(isStranger("anyone")).toBe(true);
  });
});

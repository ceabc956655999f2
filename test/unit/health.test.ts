import { describe, expect, it } from "vitest";
import { DEFAULT_TIMEOUTS } from "../../consensus/engine/types.ts";
import { BlockAge, checkHealth, type HealthInput, maxBlockAgeMsFor } from "../../node/health.ts";

const hourMs = 3_600_000;

const fine: HealthInput = {
  height: 10,
  lastBlockAgeMs: 400,
  lastBlockTimeMs: 1_000_000,
  nowMs: 1_000_400,
  peers: 3,
  catchingUp: false,
  bestPeerHeight: 10,
  validators: 4,
  isValidator: true,
  maxBlockAgeMs: 5000,
};

describe("checkHealth", () => {
  it("is healthy when caught up, blocks are recent and a validator has peers", () => {
    expect(checkHealth(fine)).toEqual({
      healthy: true,
      reasons: [],
      height: 10,
      lastBlockAgeMs: 400,
      maxBlockAgeMs: 5000,
      peers: 3,
      catchingUp: false,
    });
  });

  it("says it is catching up, and how far behind", () => {
    const r = checkHealth({ ...fine, catchingUp: true, bestPeerHeight: 900 });
    expect(r.healthy).toBe(false);
    expect(r.reasons).toEqual(["catching up: at height 10, peers at 900"]);
  });

  it("says when it counts as catching up for want of any peer's height", () => {
    const r = checkHealth({ ...fine, catchingUp: true, bestPeerHeight: 0, peers: 0 });
    expect(r.reasons[0]).toBe("catching up: at height 10, no peer's height known");
  });

  it("says how long there has been no block, against the configured bound", () => {
    expect(checkHealth({ ...fine, lastBlockAgeMs: 5000 }).healthy).toBe(true);
    const r = checkHealth({ ...fine, lastBlockAgeMs: 12_345 });
    expect(r.reasons).toEqual(["no block for 12.3 s (health.max_block_age_ms = 5000)"]);
    expect(r.lastBlockAgeMs).toBe(12_345);
  });

  it("a stalled chain whose last header time is an hour ahead (a proposer's clock) is unhealthy, saying both", () => {
    const r = checkHealth({ ...fine, lastBlockTimeMs: fine.nowMs + hourMs, lastBlockAgeMs: 60_000 });
    expect(r.healthy).toBe(false);
    expect(r.reasons).toEqual([
      "no block for 60.0 s (health.max_block_age_ms = 5000)",
      "the latest block's header time is 3600.0 s ahead of this node's clock",
    ]);
    expect(r.lastBlockAgeMs).toBe(60_000);
    // Ordinary drift (under a second ahead) is no reason.
    expect(checkHealth({ ...fine, lastBlockTimeMs: fine.nowMs + 800 }).healthy).toBe(true);
  });

  it("BlockAge counts from this node's commits by its monotonic clock, from the header's age before the first", () => {
    const clock = { ms: 50_000 };
    const age = new BlockAge(() => clock.ms, 3000);
    expect(age.ms).toBe(3000);
    clock.ms += 2000;
    expect(age.ms).toBe(5000);
    age.committed();
    clock.ms += 700;
    expect(age.ms).toBe(700);
    // A header time ahead of the wall clock at start counts as age 0, not as negative.
    expect(new BlockAge(() => clock.ms, -hourMs).ms).toBe(0);
  });

  it("wants peers only from a validator that has others in its set", () => {
    expect(checkHealth({ ...fine, peers: 0 }).reasons).toEqual(["no peers: this validator is one of 4 in its set"]);
    expect(checkHealth({ ...fine, peers: 0, validators: 1 }).healthy).toBe(true);
    expect(checkHealth({ ...fine, peers: 0, isValidator: false }).healthy).toBe(true);
  });

  it("lists every reason that holds", () => {
    const r = checkHealth({ ...fine, peers: 0, catchingUp: true, lastBlockAgeMs: 60_000 });
    expect(r.reasons).toHaveLength(3);
  });
});

describe("maxBlockAgeMsFor (health.max_block_age_ms = 0)", () => {
  it("allows an interval and three rounds that all time out: 21 s with the defaults", () => {
    expect(maxBlockAgeMsFor(1000, DEFAULT_TIMEOUTS)).toBe(21_000);
    expect(maxBlockAgeMsFor(100, DEFAULT_TIMEOUTS)).toBe(20_000);
    expect(maxBlockAgeMsFor(5000, DEFAULT_TIMEOUTS)).toBe(25_000);
  });
});

import { describe, expect, it } from "vitest";
import { DEFAULT_TIMEOUTS } from "../../consensus/engine/types.ts";
import { checkHealth, type HealthInput, maxBlockAgeMsFor } from "../../node/health.ts";

const fine: HealthInput = {
  height: 10,
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
    expect(checkHealth({ ...fine, nowMs: fine.lastBlockTimeMs + 5000 }).healthy).toBe(true);
    const r = checkHealth({ ...fine, nowMs: fine.lastBlockTimeMs + 12_345 });
    expect(r.reasons).toEqual(["no block for 12.3 s (health.max_block_age_ms = 5000)"]);
    expect(r.lastBlockAgeMs).toBe(12_345);
  });

  it("counts a block time ahead of this node's clock as age 0", () => {
    expect(checkHealth({ ...fine, nowMs: fine.lastBlockTimeMs - 800 }).lastBlockAgeMs).toBe(0);
  });

  it("wants peers only from a validator that has others in its set", () => {
    expect(checkHealth({ ...fine, peers: 0 }).reasons).toEqual(["no peers: this validator is one of 4 in its set"]);
    expect(checkHealth({ ...fine, peers: 0, validators: 1 }).healthy).toBe(true);
    expect(checkHealth({ ...fine, peers: 0, isValidator: false }).healthy).toBe(true);
  });

  it("lists every reason that holds", () => {
    const r = checkHealth({ ...fine, peers: 0, catchingUp: true, nowMs: fine.lastBlockTimeMs + 60_000 });
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

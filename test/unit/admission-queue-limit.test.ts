import { describe, expect, it } from "vitest";
import {
  ADMISSION_QUEUE_MS,
  AdmissionQueueLimit,
  MIN_ADMISSION_QUEUE,
  RATE_WINDOWS,
} from "../../node/admission-queue.ts";

/** A node's admission queue limit: ADMISSION_QUEUE_MS of signature checks at its recent rate. */
describe("AdmissionQueueLimit", () => {
  /** A limit on a clock of the test's own; `check(n, overMs)` counts n checks spread over overMs. */
  function limitOnClock() {
    let t = 0;
    const limit = new AdmissionQueueLimit(() => t);
    const check = (n: number, overMs: number) => {
      const start = t;
      for (let i = 0; i < n; i++) {
        t = start + Math.floor((i * overMs) / n);
        limit.counted();
      }
      t = start + overMs;
    };
    const pause = (ms: number) => (t += ms);
    return { limit, check, pause };
  }

  it("is the floor before any rate is known, then half a second of checks at the measured rate", () => {
    const { limit, check } = limitOnClock();
    expect(limit.limit).toBe(MIN_ADMISSION_QUEUE);
    check(6000, 1000);
    check(1, 1); // the next window's first check closes the first one
    expect(limit.limit).toBe(Math.floor((6000 * ADMISSION_QUEUE_MS) / 1000));
  });

  it("keeps its limit through a block's pause, in which no check's answer is counted", () => {
    const { limit, check, pause } = limitOnClock();
    check(6000, 1000);
    check(3600, 600);
    pause(400); // the main thread executes and commits a block: the workers' answers wait
    check(1, 1);
    // One window at 3,600/s: the queue a client's batch of 2,000 found the second before still holds it.
    expect(limit.limit).toBe(3000);
  });

  it("follows a node that really became slower within RATE_WINDOWS seconds", () => {
    const { limit, check } = limitOnClock();
    check(6000, 1000);
    for (let w = 0; w < RATE_WINDOWS; w++) check(2400, 1000);
    check(1, 1);
    expect(limit.limit).toBe(1200); // 2,400/s: 1,200, not 3,000
  });
});

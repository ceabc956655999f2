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

  it("is the floor before any rate is known, then ADMISSION_QUEUE_MS of checks at the measured rate", () => {
    const { limit, check } = limitOnClock();
    expect(limit.limit).toBe(MIN_ADMISSION_QUEUE);
    check(6000, 1000);
    check(1, 1); // the next window's first check closes the first one
    expect(limit.limit).toBe(Math.floor((6000 * ADMISSION_QUEUE_MS) / 1000));
  });

  it("keeps its limit through a block's pause, in which no check's answer is counted", () => {
    const { limit, check, pause } = limitOnClock();
    check(12_000, 1000);
    check(7200, 600);
    pause(400); // the main thread executes and commits a block: the workers' answers wait
    check(1, 1);
    // One window at 7,200/s: the queue a client's batch found the second before still holds it.
    expect(limit.limit).toBe((12_000 * ADMISSION_QUEUE_MS) / 1000);
    expect(limit.limit).toBeGreaterThan(MIN_ADMISSION_QUEUE);
  });

  it("follows a node that really became slower within RATE_WINDOWS seconds", () => {
    const { limit, check } = limitOnClock();
    check(12_000, 1000);
    for (let w = 0; w < RATE_WINDOWS; w++) check(6000, 1000);
    check(1, 1);
    expect(limit.limit).toBe((6000 * ADMISSION_QUEUE_MS) / 1000); // the 6,000/s windows', not the 12,000/s one's
    expect(limit.limit).toBeGreaterThan(MIN_ADMISSION_QUEUE);
  });
});

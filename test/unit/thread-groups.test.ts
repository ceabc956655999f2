import { describe, expect, it } from "vitest";
import { nodeThreadSeconds, statTicks, type ThreadTicks, threadTicks } from "../bench/thread-groups.ts";

const ticks = (entries: [string, string, number][]): ThreadTicks =>
  new Map(entries.map(([tid, name, t]) => [tid, { name, ticks: t }]));

describe("the bench's CPU split by thread", () => {
  it("groups a node's threads by name; the rest of the process total (ended threads, other names) is other", () => {
    const start = ticks([["1", "MainThread", 100], ["2", "WorkerThread", 50], ["3", "V8Worker", 10], ["4", "libuv-worker", 5]]);
    const end = ticks([
      ["1", "MainThread", 300],
      ["2", "WorkerThread", 350],
      ["3", "V8Worker", 60],
      ["4", "libuv-worker", 25],
      ["5", "V8Worker", 40], // started during the window: counted from zero
      ["6", "SignalInspector", 3],
    ]);
    const split = nodeThreadSeconds(start, end, 6.2);
    expect(split.main).toBeCloseTo(2, 9);
    expect(split.verify).toBeCloseTo(3, 9);
    expect(split.v8).toBeCloseTo(0.9, 9);
    expect(split.io).toBeCloseTo(0.2, 9);
    expect(split.other).toBeCloseTo(0.1, 9); // 6.2 - 6.1: the inspector's 0.03 and what ended
  });

  it("scales the named threads down to the process total when their own rounding put them above it", () => {
    const start = ticks([["1", "MainThread", 0], ["2", "WorkerThread", 0]]);
    const end = ticks([["1", "MainThread", 101], ["2", "WorkerThread", 101]]); // 2.02 s against a total of 2.00
    const split = nodeThreadSeconds(start, end, 2);
    expect(split.main + split.verify + split.v8 + split.io + split.other).toBeCloseTo(2, 9);
    expect(split.main).toBeCloseTo(1, 9);
    expect(split.other).toBe(0);
  });

  it("reads this very process from /proc: its main thread has used CPU, and the total is at least that", () => {
    const threads = threadTicks(process.pid);
    const total = statTicks(`/proc/${process.pid}/stat`);
    expect(threads.size).toBeGreaterThan(0);
    let named = 0;
    for (const t of threads.values()) named += t.ticks;
    expect(total).toBeGreaterThanOrEqual(named - threads.size); // each thread's ticks rounded down on its own
    expect(threadTicks(-1).size).toBe(0); // no such process: nothing, no throw
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clientKey } from "../../rpc/client-address.ts";
import { WORK_SLICE_MS, WorkPacer } from "../../rpc/pacer.ts";
import { Semaphore } from "../../rpc/semaphore.ts";

describe("clientKey: whom a connection counts against", () => {
  it("an IPv4 address, also when mapped into IPv6", () => {
    expect(clientKey("10.1.2.3")).toBe("10.1.2.3");
    expect(clientKey("::ffff:10.1.2.3")).toBe("10.1.2.3");
  });

  it("the /64 of an IPv6 address, however it is written", () => {
    const key = clientKey("2001:db8:aa:bb::1");
    expect(key).toBe("2001:db8:aa:bb::/64");
    expect(clientKey("2001:0db8:00aa:00bb:ffff:1:2:3")).toBe(key);
    expect(clientKey("2001:db8:aa:bb:0:0:0:9%eth0")).toBe(key);
    expect(clientKey("2001:db8:aa:bc::1")).not.toBe(key);
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
  });
});

describe("Semaphore", () => {
  it("lets `permits` holders in at a time, the next waiter when one leaves", async () => {
    const s = new Semaphore(2);
    const signal = new AbortController().signal;
    const a = await s.acquire(signal);
    await s.acquire(signal);
    let third = false;
    const waiting = s.acquire(signal).then(() => (third = true));
    await Promise.resolve();
    expect(third).toBe(false);
    expect(s.waiting).toBe(1);
    a();
    a(); // a second release of the same permit does nothing
    await waiting;
    expect(third).toBe(true);
    expect(s.waiting).toBe(0);
  });

  it("clients waiting take turns: one with many waiters gets one permit a round, not all in arrival order", async () => {
    const s = new Semaphore(1);
    const signal = new AbortController().signal;
    const held = await s.acquire(signal, "busy");
    const order: string[] = [];
    const take = (client: string) => s.acquire(signal, client).then((release) => {
      order.push(client);
      release();
    });
    // A client's 6 page reads queued first, then two other clients' one query each.
    const all = [...Array.from({ length: 6 }, () => take("busy")), take("a"), take("b")];
    expect(s.waiting).toBe(8);
    held();
    await Promise.all(all);
    // In arrival order alone both others waited behind all 6: they come second and third now.
    expect(order).toEqual(["busy", "a", "b", "busy", "busy", "busy", "busy", "busy"]);
  });

  it("a waiter whose client went away leaves the queue without taking a permit", async () => {
    const s = new Semaphore(1);
    const release = await s.acquire(new AbortController().signal);
    const gone = new AbortController();
    const waiting = s.acquire(gone.signal);
    gone.abort(new Error("hung up"));
    await expect(waiting).rejects.toThrow("hung up");
    expect(s.waiting).toBe(0);
    release();
    const again = await s.acquire(new AbortController().signal); // the permit is free again
    again();
  });
});

describe("WorkPacer", () => {
  // The pacer's slice is wall time (performance.now). These tests move a clock of their own instead of spinning:
  // a preempted test process (a loaded CI run) would otherwise use a slice up at a moment the test did not choose.
  let clock = 0;
  beforeEach(() => {
    clock = 1_000;
    vi.spyOn(performance, "now").mockImplementation(() => clock);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  /** Work (RPC's, or anything else on the loop) that takes `ms` of wall time. */
  const busy = (ms: number) => {
    clock += ms;
  };

  it("lets one waiter go per turn of the event loop when each uses up its slice, so other callbacks run between", async () => {
    const pacer = new WorkPacer();
    const order: string[] = [];
    const waiters = [1, 2, 3].map((i) =>
      pacer.turn().then(() => {
        order.push(`slice ${i}`);
        busy(WORK_SLICE_MS + 1);
      }),
    );
    // An immediate queued now runs in the same turn as the first slice; one queued by it, in the next.
    setImmediate(() => {
      order.push("other 1");
      setImmediate(() => order.push("other 2"));
    });
    await Promise.all(waiters);
    expect(order.indexOf("other 1")).toBeGreaterThan(order.indexOf("slice 1"));
    expect(order.indexOf("slice 2")).toBeGreaterThan(order.indexOf("other 1"));
    expect(order.indexOf("other 2")).toBeGreaterThan(order.indexOf("slice 2"));
    expect(order.indexOf("slice 3")).toBeGreaterThan(order.indexOf("other 2"));
  });

  it("pace returns at once within a slice and waits once it is used up", async () => {
    const pacer = new WorkPacer();
    await pacer.turn(); // a fresh slice
    let done = false;
    void pacer.pace().then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(true);
    busy(WORK_SLICE_MS + 1); // as a long page of records would be
    done = false;
    const paced = pacer.pace().then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    await paced;
  });

  it("time the loop spends on other work does not use up RPC's slice: many quick calls finish in one turn", async () => {
    const pacer = new WorkPacer();
    await pacer.turn(); // RPC had a slice in some earlier turn
    const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    await nextTurn();
    await nextTurn();
    // Other work (a block's execution, a peer's messages) holds the loop for longer than a slice...
    busy(WORK_SLICE_MS + 1);
    // ...then fifty RPC calls resume at once, as tx_submit calls do when a batch of signatures comes back, and
    // each does a moment's work before it paces. They share one slice of this turn: none waits for a turn.
    let done = 0;
    const calls = Array.from({ length: 50 }, async () => {
      await pacer.pace();
      done++;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(done).toBe(50);
    await Promise.all(calls);
  });

  /** Counts turns of the event loop (one immediate per turn) until stopped; `now()` is the current turn. */
  function turnCounter() {
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    return { now: () => turns, stop: () => (counting = false) };
  }

  it("RPC work that uses up its slice waits; each waiter that uses up a slice of its own gets a turn of its own", async () => {
    const turns = turnCounter(); // before the pacer's immediate: a turn counts before the pacer's part of it
    const pacer = new WorkPacer();
    await pacer.pace(); // opens this turn's slice
    busy(WORK_SLICE_MS + 1);
    const resumedAt: number[] = [];
    await Promise.all(
      [1, 2, 3].map(async () => {
        await pacer.pace();
        resumedAt.push(turns.now());
        busy(WORK_SLICE_MS + 1);
      }),
    );
    turns.stop();
    expect(resumedAt[0]).toBeGreaterThan(0); // not in the turn that used the slice up
    expect(new Set(resumedAt).size).toBe(3);
  });

  it("quick waiters queued behind a used-up slice all resume in the next turn, sharing its slice", async () => {
    const turns = turnCounter(); // before the pacer's immediate: a turn counts before the pacer's part of it
    const pacer = new WorkPacer();
    await pacer.pace();
    busy(WORK_SLICE_MS + 1);
    const resumedAt: number[] = [];
    // Fifty tx_submit calls each paced after a moment's work, then wait for their signature (an await).
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        await pacer.pace();
        resumedAt.push(turns.now());
        await new Promise<void>((resolve) => setTimeout(resolve, 5));
      }),
    );
    turns.stop();
    expect(resumedAt.length).toBe(50);
    expect(resumedAt[0]).toBeGreaterThan(0);
    // One turn, against one turn per waiter (50) before the change.
    expect(new Set(resumedAt).size).toBe(1);
  });
});

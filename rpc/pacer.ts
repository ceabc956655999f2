/**
 * Longest stretch, in milliseconds, that RPC work runs before it lets the event loop go round (the timers of
 * consensus, block commits, peers' messages). A page of 100 large records takes ~20 ms to decode and render in
 * one go; cut into slices, it holds a consensus step back by about a slice at most.
 */
export const WORK_SLICE_MS = 3;

/**
 * Shares the event loop between RPC work and everything else, node-wide. RPC code calls `pace()` between
 * items. A slice starts at the first `pace()` in a turn of the event loop; once RPC work has run for
 * WORK_SLICE_MS in that turn, callers queue, and one of them is let go per later turn. However many requests
 * are at work, a turn of the loop then holds one slice of RPC work, not one slice per request (yielding each
 * request on its own would let N requests run N slices back to back).
 *
 * Time the loop spends on other work does not count against the slice: a slice used to run from the last
 * turn the pacer took, so under load, when tx_submit calls resume together on a verify pool's answer (tens of
 * signatures at once) some milliseconds after it, each of them found the slice used up and took a turn of the
 * loop of its own: about one setImmediate per submitted tx on a loaded validator (counted with
 * test/bench/wakeup-probe.ts), for a moment's work each.
 */
/** pace()'s answer while the slice lasts: one settled promise for every call (it runs once per RPC call). */
const GO_ON: Promise<void> = Promise.resolve();

export class WorkPacer {
  private readonly queue: (() => void)[] = [];
  /** When this turn's slice of RPC work started; undefined until RPC work paces in this turn. */
  private sliceStart: number | undefined;
  /** An immediate is armed: it ends this turn's slice and lets the next waiter go. */
  private turnEndArmed = false;

  /** Returns at once while this turn's slice lasts; else waits for a later turn's slice (see `turn`). */
  pace(): Promise<void> {
    const now = performance.now();
    if (this.sliceStart === undefined && this.queue.length === 0) {
      this.sliceStart = now; // the first RPC work of this turn: its slice starts
      this.armTurnEnd();
      return GO_ON;
    }
    if (this.sliceStart === undefined || now - this.sliceStart >= WORK_SLICE_MS) return this.turn();
    return GO_ON;
  }

  /**
   * Waits for a later turn of the event loop and runs in its slice: the first waiter starts it, and the next
   * ones go, in order, while it lasts; the rest wait for the turn after.
   */
  turn(): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.armTurnEnd();
    });
  }

  private armTurnEnd(): void {
    if (this.turnEndArmed) return;
    this.turnEndArmed = true;
    // An immediate scheduled from within an immediate runs in the next turn: the waiters left go then.
    setImmediate(() => {
      this.turnEndArmed = false;
      this.sliceStart = undefined;
      if (this.queue.length === 0) return;
      this.sliceStart = performance.now();
      this.armTurnEnd();
      this.releaseWhileSliceLasts();
    });
  }

  /**
   * Lets the next waiter go, and once what it runs at once is done, the next, while this turn's slice lasts.
   * Most waiters are calls that do a moment's work and then wait for something (a tx_submit, its signature):
   * giving each a turn of the loop of its own cost a turn per call (0.67 setImmediates per submitted tx on
   * a loaded validator). "Done" is when the microtasks it started have run: a process.nextTick queued from
   * a microtask runs once the microtask queue is empty.
   */
  private releaseWhileSliceLasts(): void {
    const next = this.queue.shift();
    if (next === undefined) return;
    next();
    queueMicrotask(() =>
      process.nextTick(() => {
        const start = this.sliceStart;
        if (start !== undefined && performance.now() - start < WORK_SLICE_MS) this.releaseWhileSliceLasts();
      }),
    );
  }
}

/**
 * Longest stretch, in milliseconds, that RPC work runs before it lets the event loop go round (the timers of
 * consensus, block commits, peers' messages). A page of 100 large records takes ~20 ms to decode and render in
 * one go; cut into slices, it holds a consensus step back by about a slice at most.
 */
export const WORK_SLICE_MS = 3;

/**
 * Shares the event loop between RPC work and everything else, node-wide. RPC code calls `pace()` between
 * items; once RPC work has run for WORK_SLICE_MS, callers queue, and one of them is let go per turn of the
 * event loop. However many requests are at work, a turn of the loop then holds one slice of RPC work, not one
 * slice per request (yielding each request on its own would let N requests run N slices back to back).
 */
export class WorkPacer {
  private readonly queue: (() => void)[] = [];
  private scheduled = false;
  private sliceStart = performance.now();

  /** Returns at once while the current slice lasts; else waits for a turn of the event loop of its own. */
  async pace(): Promise<void> {
    if (performance.now() - this.sliceStart >= WORK_SLICE_MS) await this.turn();
  }

  /** Waits for a later turn of the event loop, then starts a new slice. */
  turn(): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // An immediate scheduled from within an immediate runs in the next turn: one waiter per turn.
    setImmediate(() => {
      this.scheduled = false;
      const next = this.queue.shift();
      if (this.queue.length > 0) this.schedule();
      this.sliceStart = performance.now();
      next?.();
    });
  }
}

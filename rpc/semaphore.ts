/**
 * A counting semaphore: at most `permits` holders at a time, the others wait in arrival order. A waiter whose
 * signal aborts leaves the queue at once (a client that hung up does not keep its place, nor take a permit).
 */
export class Semaphore {
  private free: number;
  private readonly waiters: { grant: () => void; signal: AbortSignal; onAbort: () => void }[] = [];

  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError(`permits must be a positive integer, got ${permits}`);
    this.free = permits;
  }

  /** Resolves with the function that gives the permit back (call it exactly once), or rejects on abort. */
  acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        signal,
        grant: () => {
          signal.removeEventListener("abort", waiter.onAbort);
          resolve(this.releaser());
        },
        onAbort: () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal.reason);
        },
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Waiting callers (for tests and logs). */
  get waiting(): number {
    return this.waiters.length;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next === undefined) this.free++;
      else next.grant(); // the permit passes straight to the next waiter
    };
  }
}

/**
 * A counting semaphore: at most `permits` holders at a time. The others wait, and a freed permit goes to the
 * clients waiting in turn (round robin over client keys, each client's own waiters in arrival order), so one
 * client address with many waiters (a WebSocket client's 256 subscriptions replaying pages that match nothing,
 * on 16 connections) takes one turn in each round, not every permit for as long as it keeps them queued:
 * before, waiters were served in arrival order alone, and every other client's query waited behind all of
 * its pages. A waiter whose signal aborts leaves the queue at once (a client that hung up does not keep its
 * place, nor take a permit).
 */
export class Semaphore {
  private free: number;
  /** Waiters by client key; a Map keeps keys in the order their turn comes (a served key goes last). */
  private readonly waiters = new Map<string, Waiter[]>();
  private count = 0;
  /** Keys of waiters that named no client: each its own. */
  private anonymous = 0;

  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError(`permits must be a positive integer, got ${permits}`);
    this.free = permits;
  }

  /**
   * Resolves with the function that gives the permit back (call it exactly once), or rejects on abort.
   * `client`: the caller's address key (rpc/client-address.ts), whose waiters share one turn.
   */
  acquire(signal: AbortSignal, client?: string): Promise<() => void> {
    signal.throwIfAborted();
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(this.releaser());
    }
    const key = client ?? `\0anonymous ${this.anonymous++}`;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal.removeEventListener("abort", waiter.onAbort);
          resolve(this.releaser());
        },
        onAbort: () => {
          if (this.leave(key, waiter)) reject(signal.reason);
        },
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
      const queue = this.waiters.get(key);
      if (queue === undefined) this.waiters.set(key, [waiter]);
      else queue.push(waiter);
      this.count++;
    });
  }

  /** Waiting callers (for tests and logs). */
  get waiting(): number {
    return this.count;
  }

  private leave(key: string, waiter: Waiter): boolean {
    const queue = this.waiters.get(key);
    const i = queue?.indexOf(waiter) ?? -1;
    if (queue === undefined || i < 0) return false;
    queue.splice(i, 1);
    if (queue.length === 0) this.waiters.delete(key);
    this.count--;
    return true;
  }

  /** The next waiter whose turn it is, out of the queue: its key goes to the end of the round. */
  private next(): Waiter | undefined {
    const first = this.waiters.entries().next();
    if (first.done === true) return undefined;
    const [key, queue] = first.value;
    const waiter = queue.shift() as Waiter;
    this.waiters.delete(key);
    if (queue.length > 0) this.waiters.set(key, queue);
    this.count--;
    return waiter;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.next();
      if (next === undefined) this.free++;
      else next.grant(); // the permit passes straight to the next waiter
    };
  }
}

interface Waiter {
  grant: () => void;
  onAbort: () => void;
}

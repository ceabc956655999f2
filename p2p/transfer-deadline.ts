/**
 * A timeout for a transfer that may be long but must keep moving: it fires when no bytes have arrived for
 * `idleMs`, or when the bytes so far are behind `minBytesPerSecond` (after a first `idleMs` of grace). A
 * response of hundreds of MB on a modest link is heard out as long as it keeps coming; a peer that goes
 * quiet, or trickles a byte now and then to keep us waiting, is given up on.
 */
export class TransferTimeoutError extends Error {
  override name = "TimeoutError";
}

export interface TransferDeadlineOptions {
  idleMs: number;
  minBytesPerSecond: number;
}

export class TransferDeadline {
  private readonly controller = new AbortController();
  private readonly o: TransferDeadlineOptions;
  private readonly startedMs = performance.now();
  private lastProgressMs = this.startedMs;
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private cleared = false;

  constructor(opts: TransferDeadlineOptions) {
    this.o = opts;
    this.arm();
  }

  /** Aborted (with a TransferTimeoutError) when the deadline passes. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** `bytes` more arrived: the deadline moves on. */
  progress(bytes: number): void {
    if (this.cleared || this.controller.signal.aborted || bytes <= 0) return;
    this.bytes += bytes;
    this.lastProgressMs = performance.now();
    this.arm();
  }

  /** The transfer is over: no more timer. */
  clear(): void {
    this.cleared = true;
    clearTimeout(this.timer);
  }

  /** The earlier of: idleMs after the last bytes, and when the bytes so far fall behind the minimum rate. */
  private deadlineMs(): number {
    const earned = this.startedMs + this.o.idleMs + (this.bytes * 1000) / this.o.minBytesPerSecond;
    return Math.min(this.lastProgressMs + this.o.idleMs, earned);
  }

  private arm(): void {
    clearTimeout(this.timer);
    const wait = Math.max(0, this.deadlineMs() - performance.now());
    // Due, it looks once more after the event loop's poll phase (setImmediate): if this process was frozen
    // past the deadline (a long GC, a loaded host), the timer fires first in the turn it wakes in, before the
    // peer's bytes already in our socket are read, and the peer would be blamed for our own stall.
    this.timer = setTimeout(() => setImmediate(() => this.expireIfDue()), wait);
    this.timer.unref();
  }

  private expireIfDue(): void {
    if (this.cleared || this.controller.signal.aborted) return;
    if (this.deadlineMs() > performance.now()) {
      // Bytes came meanwhile, or the timer fired a fraction early (timers count whole milliseconds).
      this.arm();
      return;
    }
    const idle = Math.round(performance.now() - this.lastProgressMs);
    this.controller.abort(new TransferTimeoutError(
      `transfer stalled: ${this.bytes} bytes, none for ${idle} ms (at least ${this.o.minBytesPerSecond} bytes/s` +
      ` and a byte every ${this.o.idleMs} ms are due)`,
    ));
  }
}

/**
 * The consensus driver's single queue and its timers. Jobs run one at a time, in order, so the engine sees
 * one input at a time. A queued job's error is fatal: the queue stops, its timers are cleared and onFatal is
 * told; a job run with `run` hands its outcome (its error too, not fatal) to its caller instead. Once
 * stopped, no job and no timer callback runs.
 */
export class SerialQueue {
  private queue: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private interval: NodeJS.Timeout | undefined;
  private halted = false;
  private readonly onFatal: (err: unknown) => void;

  constructor(onFatal: (err: unknown) => void) {
    this.onFatal = onFatal;
  }

  get stopped(): boolean {
    return this.halted;
  }

  enqueue(job: () => Promise<void> | void): void {
    this.queue = this.queue
      .then(async () => {
        if (!this.halted) await job();
      })
      .catch((err) => this.fail(err));
  }

  /** Stops everything and tells onFatal (a queued job failed, or a part of the driver did). */
  fail(err: unknown): void {
    this.halted = true;
    clearInterval(this.interval);
    for (const t of this.timers) clearTimeout(t);
    this.onFatal(err);
  }

  /** Runs `job` on the queue and hands its outcome (including its error, which is not fatal) to the caller. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.queue.then(() => {
      if (this.halted) throw new Error("consensus stopped");
      return job();
    });
    this.queue = result.then(
      () => {},
      () => {},
    );
    return result;
  }

  /** Calls `fn` after `ms`, unless stopped by then. */
  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.halted) fn();
    }, ms);
    this.timers.add(t);
  }

  /** Calls `fn` every `ms` until stopped (the timer does not keep the process alive). */
  every(ms: number, fn: () => void): void {
    this.interval = setInterval(fn, ms);
    this.interval.unref();
  }

  /** Stops: no job or timer runs from now on; resolves once the job under way has ended. */
  async stop(): Promise<void> {
    this.halted = true;
    clearInterval(this.interval);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.queue;
  }
}

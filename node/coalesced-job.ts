/**
 * Group commit: an async job (an fsync, a file rewrite) that callers ask for, where one run serves every
 * request made before it started. Requests made while a run is in flight share the single run queued after
 * it, which starts on the next turn of the event loop (setImmediate), so everything written in the same
 * tick is covered by one run. A run's failure rejects exactly the requests it was to serve (never retried:
 * after a failed fsync the kernel may have dropped the pages, and only a restart from disk is safe).
 */
export class CoalescedJob {
  private readonly job: () => Promise<void>;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(job: () => Promise<void>) {
    this.job = job;
  }

  /** Resolves once a run that started after this call has finished. */
  request(): Promise<void> {
    this.queued ??= this.runAfter(this.running);
    return this.queued;
  }

  /** Whether a run is in flight or queued. */
  get busy(): boolean {
    return this.queued !== undefined || this.running !== undefined;
  }

  /** Resolves once no run is in flight or queued (failures included: they are their requesters' business). */
  async idle(): Promise<void> {
    while (this.queued !== undefined || this.running !== undefined) {
      await (this.queued ?? this.running)?.catch(() => {});
    }
  }

  private async runAfter(previous: Promise<void> | undefined): Promise<void> {
    await previous?.catch(() => {});
    await new Promise<void>((resolve) => setImmediate(resolve));
    // From here on, a new request may have been written after this run began: it needs the next run.
    this.queued = undefined;
    const run = this.job();
    this.running = run;
    try {
      await run;
    } finally {
      if (this.running === run) this.running = undefined;
    }
  }
}

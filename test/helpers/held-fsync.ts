import type { Fsyncer } from "../../node/durable-file.ts";

/**
 * An fsync layer a test controls: while `holding()` says so, each fsync waits until the test releases it
 * (a disk that takes as long as the test likes); otherwise it completes on the next turn of the event loop.
 * Nothing is really flushed: what is under test is who waits for the promise.
 */
export class HeldFsync implements Fsyncer {
  private readonly waiting: (() => void)[] = [];
  holding: () => boolean = () => true;

  fsync(): Promise<void> {
    if (!this.holding()) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** fsyncs asked for and not released yet. */
  get held(): number {
    return this.waiting.length;
  }

  releaseAll(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

import type { Logger } from "pino";

/** The first progress line is due this soon after the start. */
const FIRST_LINE_MS = 250;

export interface SyncSummary {
  height: number;
  blocks: number;
  txs: number;
  seconds: number;
  blocksPerSec: number;
  txPerSec: number;
}

/**
 * The progress of one block sync run, for the log: at most one line per `everyMs` (a sync of thousands of
 * blocks a second must not log per block), with the height, the target, the rates over the last interval
 * and an estimate of the time left at the rate of the whole run so far. Also the run's closing summary.
 */
export class SyncProgress {
  private readonly log: Logger;
  private readonly everyMs: number;
  private readonly now: () => number;
  private readonly startMs: number;
  private readonly startHeight: number;
  private last: { ms: number; height: number; txs: number };
  private txs = 0;
  private logged = false;

  constructor(log: Logger, everyMs: number, height: number, now: () => number = Date.now) {
    this.log = log;
    this.everyMs = everyMs;
    this.now = now;
    this.startMs = now();
    this.startHeight = height;
    this.last = { ms: this.startMs, height, txs: 0 };
  }

  /** A block of `txs` transactions was committed at `height`; `target` is the best peer's height. */
  committed(height: number, txs: number, target: number): void {
    this.txs += txs;
    const now = this.now();
    const ms = now - this.last.ms;
    // The first line comes early (a short sync says how it goes too), then one per interval.
    if (ms < (this.logged ? this.everyMs : Math.min(this.everyMs, FIRST_LINE_MS))) return;
    this.logged = true;
    const blocksPerSec = Math.round(((height - this.last.height) * 1000) / ms);
    const txPerSec = Math.round(((this.txs - this.last.txs) * 1000) / ms);
    const overall = ((height - this.startHeight) * 1000) / Math.max(1, now - this.startMs);
    const etaSeconds = overall > 0 ? Math.ceil(Math.max(0, target - height) / overall) : undefined;
    this.log.info({ height, target, blocksPerSec, txPerSec, etaSeconds }, "block sync: progress");
    this.last = { ms: now, height, txs: this.txs };
  }

  /** Blocks, txs and seconds of the whole run, and its rates. */
  summary(height: number): SyncSummary {
    const seconds = (this.now() - this.startMs) / 1000;
    const blocks = height - this.startHeight;
    const rate = (n: number) => (seconds > 0 ? Math.round(n / seconds) : n);
    return { height, blocks, txs: this.txs, seconds, blocksPerSec: rate(blocks), txPerSec: rate(this.txs) };
  }
}

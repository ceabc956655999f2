/**
 * Admissions waiting for their signature check are bounded by time, not count: at most what this node
 * checks in ADMISSION_QUEUE_MS at its recent rate (at least MIN_ADMISSION_QUEUE). Beyond it a tx is refused
 * MEMPOOL_FULL at once, so a client flooding a busy node hears so within a second instead of waiting
 * behind a queue of signature checks (issue 12: batches waited 17 s). Node-local policy, not consensus: wall
 * time is fine here.
 *
 * 250, not 500: the rate is the best of the recent windows and peers' relayed txs join the queue past it, so
 * a client's tx admitted at the limit waited longer than the queue's nominal time. 4 validators offered 4,000
 * tx/s (`npm run bench -- --validators 4 --rate 4000 --txs 80000`, three runs each, alternated): tx_submit
 * answered at p99 0.76-0.81 s against 0.90-1.36 s with 500, committing as much (2,356-2,541 tx/s against
 * 2,297-2,529). The cost: clients meet MEMPOOL_FULL sooner when a block's work holds the main thread (83-117
 * refusals at 2,000 tx/s offered, against 0-2,835 with 500, in two runs each).
 */
export const ADMISSION_QUEUE_MS = 250;
/**
 * Admissions under way, their checks done or not, are at most this many times the queue's limit: the queue
 * counts only those whose check is not done (node/mempool.ts waitingForCheck), a count that may leave out
 * a proposal's checks too, so this bounds what a node holds whatever that count says.
 */
export const ADMISSIONS_HELD_FACTOR = 2;
/**
 * tx_simulate's signature checks under way are at most this part of the queue's limit: simulations cost the
 * sender nothing, so they must not fill the queue clients' submissions wait in.
 */
export const SIMULATIONS_PART_OF_QUEUE = 0.5;
/** Recent simulated txs whose signature was valid: simulated again (a wallet retrying), not checked again. */
export const SIMULATED_REMEMBERED = 4096;
// The floor covers a burst on a node whose rate is not yet measured (a peer's relayed batch, a client's
// batch of a few hundred) without refusing what the node checks in well under a second on any core.
export const MIN_ADMISSION_QUEUE = 1024;
/**
 * The recent rate is the best of this many one-second windows. A block's check or commit holds the main
 * thread for a few hundred milliseconds, in which no check's answer is counted although the workers go on:
 * one window's rate then dips by a third, and a node that took a batch of 2,000 the second before would refuse
 * most of the next. A node that really became slower is followed within this many seconds.
 */
export const RATE_WINDOWS = 3;

/** This node's signature-check rate (per one-second window) and the admission queue it allows. */
export class AdmissionQueueLimit {
  private readonly now: () => number;
  /** Checks finished in the current one-second window. */
  private window = { startMs: 0, checked: 0 };
  /** The rates of the last full windows, newest last (at most RATE_WINDOWS). */
  private readonly rates: number[] = [];

  constructor(now: () => number) {
    this.now = now;
  }

  /** How many admissions may wait for their signature check: ADMISSION_QUEUE_MS at the recent rate. */
  get limit(): number {
    const perSecond = this.rates.length === 0 ? 0 : Math.max(...this.rates);
    return Math.max(MIN_ADMISSION_QUEUE, Math.floor((perSecond * ADMISSION_QUEUE_MS) / 1000));
  }

  /** Counts one finished signature check. */
  counted(): void {
    const w = this.window;
    const t = this.now();
    const elapsed = t - w.startMs;
    if (elapsed >= 1000) {
      // A window longer than a second (a quiet spell) lowers the rate in proportion, as it should.
      this.rates.push((w.checked * 1000) / elapsed);
      if (this.rates.length > RATE_WINDOWS) this.rates.shift();
      w.startMs = t;
      w.checked = 0;
    }
    w.checked++;
  }
}

import type { Application } from "../consensus/application.ts";
import type { LatePrecommits } from "./late-precommits.ts";

/**
 * Under backlog the next height starts without waiting out the interval (as CometBFT's skip_timeout_commit):
 * the interval is the pace when idle, not a cap on throughput. Only once every validator's precommit for the
 * decided block is in hand, so the next block's last commit still names them all (staking counts a validator
 * missing from it as having missed the block); until then the interval's timer, or the last late precommit,
 * starts it. The driver's startHeight ignores a second start.
 */
export class EarlyStart {
  private readonly o: {
    app: Pick<Application, "info" | "validators">;
    late: Pick<LatePrecommits, "count">;
    /** The engine's height (it is still the decided one while the interval runs). */
    engineHeight: () => number;
    /** Whether the mempool fills a block (DriverOptions.backlogged). */
    backlogged: (() => boolean) | undefined;
    /** Queues the start of `height`. */
    start: (height: number) => void;
  };

  /** The height last started early: queued once, however many nudges come before it runs. */
  private started = 0;

  constructor(opts: EarlyStart["o"]) {
    this.o = opts;
  }

  /** Starts the height after `decided` now, if the backlog and the decided block's precommits allow it. */
  consider(decided: number): void {
    if (this.o.engineHeight() !== decided || this.started === decided + 1 || this.o.backlogged?.() !== true) return;
    const commit = this.o.app.info().lastCommit;
    if (commit?.height !== decided) return;
    if (commit.signatures.length + this.o.late.count(decided) < this.o.app.validators(decided).length) return;
    this.started = decided + 1;
    this.o.start(decided + 1);
  }
}

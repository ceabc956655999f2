import type { Logger } from "pino";
import type { ChainDb } from "../state/store/chain-db.ts";
import { StatePruner } from "../state/tree/pruner.ts";
import type { ChainApp } from "./chain-app.ts";
import { CoalescedJob } from "./coalesced-job.ts";

/**
 * Runs the state pruner (`[state] keep_recent`) in the background after commits: never inside a block's
 * commit, one bounded batch at a time with the event loop free between batches, and every commit made while
 * a run is under way served by the next run. Stopped (and awaited) before the database closes.
 */
export class StatePruning {
  private readonly pruner: StatePruner;
  private readonly job: CoalescedJob;
  private readonly unsubscribe: () => void;
  private stopped = false;

  constructor(app: ChainApp, db: ChainDb, keepRecent: number, log: Logger) {
    this.pruner = new StatePruner(db, keepRecent);
    this.job = new CoalescedJob(async () => {
      while (!this.stopped && (await this.pruner.step(app.info().height))) {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    });
    const request = () => {
      this.job.request().catch((err: unknown) => log.error({ err }, "state pruning failed (it is retried after the next block)"));
    };
    this.unsubscribe = keepRecent === 0 ? () => {} : app.onCommit(request);
    if (keepRecent !== 0) request(); // what was due when the node stopped
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    await this.job.idle();
  }
}

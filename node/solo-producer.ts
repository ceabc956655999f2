import type { Logger } from "pino";
import type { Application } from "../consensus/application.ts";
import { toHex } from "../crypto/bytes.ts";
import { blockHash, type Commit } from "../proto/block.ts";
import { PRECOMMIT, voteSignBytes } from "../proto/consensus.ts";
import type { ValidatorKey } from "./validator-key.ts";

/**
 * Block production for a chain with one validator: propose, validate and commit through the same
 * Application interface the Tendermint engine uses, on a timer. The consensus issue replaces this driver
 * (and adds the WAL and signer guard); nothing else changes.
 */
export class SoloProducer {
  private readonly app: Application;
  private readonly key: ValidatorKey;
  private readonly intervalMs: number;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly onFatal: (err: unknown) => void;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(opts: {
    app: Application;
    key: ValidatorKey;
    intervalMs: number;
    logger: Logger;
    /** Called when a block cannot be produced or committed: the node must stop, it cannot safely go on. */
    onFatal: (err: unknown) => void;
    now?: () => number;
  }) {
    this.app = opts.app;
    this.key = opts.key;
    this.intervalMs = opts.intervalMs;
    this.log = opts.logger;
    this.now = opts.now ?? Date.now;
    this.onFatal = opts.onFatal;
  }

  start(): void {
    const chainId = this.app.info().chainId;
    const validators = this.app.validators(this.app.info().height + 1);
    if (validators.length !== 1 || validators[0].power <= 0) {
      throw new Error(
        `the single-validator producer needs exactly one validator; genesis of ${chainId} has ${validators.length}`,
      );
    }
    this.schedule();
  }

  /** Stops after the block in progress, if any, is committed. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    const due = this.app.info().lastBlockTimeMs + this.intervalMs;
    const delay = Math.max(0, due - this.now());
    this.timer = setTimeout(() => {
      this.running = this.produce()
        .then(
          () => this.schedule(),
          (err) => {
            this.stopped = true;
            this.onFatal(err);
          },
        )
        .finally(() => {
          this.running = undefined;
        });
    }, delay);
  }

  private async produce(): Promise<void> {
    const info = this.app.info();
    const height = info.height + 1;
    // Block time: the proposer's clock, but strictly after the previous block (validators check this).
    const timeMs = Math.max(this.now(), info.lastBlockTimeMs + 1);
    const started = this.now();
    const block = await this.app.propose({
      height,
      timeMs,
      proposer: this.key.address,
      lastCommit: info.lastCommit,
    });
    const verdict = await this.app.validate(block);
    if (!verdict.valid) throw new Error(`own proposal at height ${height} is invalid: ${verdict.reason}`);
    const hash = blockHash(block.header);
    const vote = {
      type: PRECOMMIT,
      height,
      round: 0,
      blockHash: hash,
      timeMs,
      validatorAddress: this.key.address,
    } as const;
    const signature = this.key.sign(voteSignBytes(info.chainId, vote));
    const commit: Commit = {
      height,
      round: 0,
      blockHash: hash,
      signatures: [{ validatorAddress: this.key.address, timeMs, signature }],
    };
    await this.app.commit(block, commit);
    this.log.info(
      { height, txs: block.txs.length, hash: toHex(hash), ms: this.now() - started },
      "committed block",
    );
  }
}

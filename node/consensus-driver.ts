import type { Logger } from "pino";
import type { Application } from "../consensus/application.ts";
import { Engine, inputHeight } from "../consensus/engine/engine.ts";
import {
  type Effect,
  type HeightParams,
  type Input,
  PREVOTE,
  type Proposal,
  type TimeoutConfig,
  type ValueId,
  type Vote,
} from "../consensus/engine/types.ts";
import { initialPrioritySet, type PrioritySet, ProposerSchedule } from "../consensus/proposer.ts";
import { STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSE } from "../consensus/signer-guard.ts";
import { equalBytes, fromBase64, fromHex, toBase64, toHex } from "../crypto/bytes.ts";
import { type Block, blockHash, type Commit, decodeBlock, encodeBlock, type Validator } from "../proto/block.ts";
import { proposalSignBytes, voteSignBytes } from "../proto/consensus.ts";
import type { GuardedSigner } from "./signer.ts";
import { readWal, Wal } from "./wal.ts";

/**
 * Runs the Tendermint engine for real: timers, the guarded signer, the application (propose, validate,
 * commit) and the write-ahead log. One queue owns the engine, so inputs are handled one at a time, each
 * written to the WAL before the engine sees it; every message this validator signs is fsynced to the WAL
 * before it leaves. On start, a WAL for the next height is replayed into a fresh engine: messages signed
 * before the crash are found in the WAL and sent again as they were, never signed differently.
 *
 * The network arrives with the p2p issue (`broadcast`); with one validator nothing needs to travel.
 */
type WalRecord =
  | { t: "height"; height: number }
  | { t: "input"; input: Exclude<Input, { type: "startHeight" }>; block?: string }
  /** About to sign this (fsynced first): a crash between this and "signed" re-signs the very same bytes. */
  | { t: "intent"; step: number; height: number; round: number; value: string | null; timeMs: number }
  | { t: "signed"; step: number; height: number; round: number; value: string | null; timeMs: number; signature: string };

export interface DriverOptions {
  app: Application;
  signer: GuardedSigner;
  walPath: string;
  timeouts: TimeoutConfig;
  /** Pause after a decision before the next height starts: the block interval. */
  commitTimeoutMs: number;
  logger: Logger;
  onFatal: (err: unknown) => void;
  now?: () => number;
}

export class ConsensusDriver {
  private readonly o: DriverOptions;
  private readonly now: () => number;
  private readonly log: Logger;
  private engine = new Engine();
  private wal: Wal<WalRecord> | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** Blocks known at the current height, by value id (block hash hex). */
  private readonly blocks = new Map<ValueId, Block>();
  /** Own signed messages of the current height, by "step/round": value, time and signature. */
  private readonly signed = new Map<string, { value: string | null; timeMs: number; signature: Uint8Array }>();
  /** Sign intents found in the WAL at replay, by "step/round". */
  private readonly intents = new Map<string, { value: string | null; timeMs: number }>();
  private replaying = false;
  private pendingRequests = new Map<string, Effect>();
  private validators: Validator[] = [];
  private nextHeightRecords: WalRecord[] = [];
  private priorities: { height: number; set: PrioritySet } | undefined;

  constructor(opts: DriverOptions) {
    this.o = opts;
    this.now = opts.now ?? Date.now;
    this.log = opts.logger;
  }

  /** Replays the WAL if it belongs to the next height, then runs. */
  async start(): Promise<void> {
    const next = this.o.app.info().height + 1;
    const { records, droppedTail } = readWal<WalRecord>(this.o.walPath);
    if (droppedTail > 0) this.log.warn({ bytes: droppedTail }, "dropped a torn record at the end of the WAL");
    this.wal = Wal.open<WalRecord>(this.o.walPath);
    const first = records[0];
    if (first?.t === "height" && first.height === next) {
      await this.replay(next, records);
    } else {
      const wait = Math.max(0, this.o.app.info().lastBlockTimeMs + this.o.commitTimeoutMs - this.now());
      this.later(wait, () => this.enqueue(() => this.startHeight(next)));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.queue;
    this.wal?.close();
  }

  get height(): number {
    return this.engine.height;
  }

  get round(): number {
    return this.engine.currentRound;
  }

  // ---- the single queue ----

  private enqueue(job: () => Promise<void> | void): void {
    this.queue = this.queue
      .then(async () => {
        if (!this.stopped) await job();
      })
      .catch((err) => {
        this.stopped = true;
        for (const t of this.timers) clearTimeout(t);
        this.o.onFatal(err);
      });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  /** Logs an input to the WAL, feeds it to the engine, runs the effects. */
  private async input(input: Exclude<Input, { type: "startHeight" }>, block?: Block): Promise<void> {
    if (!this.replaying) {
      const record: WalRecord = { t: "input", input, block: block ? toBase64(encodeBlock(block)) : undefined };
      this.wal?.append(record);
      // The engine buffers next-height inputs and acts on them once that height starts: they must survive
      // the WAL's reset into the next height's file, or a replay would not see what the engine acted on.
      if (inputHeight(input) === this.engine.height + 1) this.nextHeightRecords.push(record);
    }
    await this.runEffects(this.engine.handle(input));
  }

  private async runEffects(effects: Effect[]): Promise<void> {
    for (const e of effects) await this.effect(e);
  }

  // ---- heights ----

  private heightParams(height: number): HeightParams {
    this.validators = this.o.app.validators(height);
    const schedule = new ProposerSchedule(this.prioritiesAt(height));
    const self = this.validators.findIndex((v) => equalBytes(v.address, this.o.signer.address));
    return {
      height,
      validators: this.validators.map((v) => ({ power: v.power })),
      proposer: (r) => schedule.proposer(r),
      self: self >= 0 ? self : undefined,
      timeouts: this.o.timeouts,
    };
  }

  /** Proposer priorities at `height`: genesis priorities advanced once per height (constant set for now). */
  private prioritiesAt(height: number): PrioritySet {
    if (this.priorities === undefined || this.priorities.height > height) {
      const set = initialPrioritySet(this.o.app.validators(1).map((v) => ({ id: toHex(v.address), power: v.power })));
      this.priorities = { height: 1, set };
    }
    while (this.priorities.height < height) {
      const set = new ProposerSchedule(this.priorities.set).nextHeight();
      this.priorities = { height: this.priorities.height + 1, set };
    }
    return this.priorities.set;
  }

  private async startHeight(height: number): Promise<void> {
    this.blocks.clear();
    this.signed.clear();
    this.intents.clear();
    const early = this.nextHeightRecords.filter((r) => r.t === "input" && inputHeight(r.input) === height);
    this.nextHeightRecords = [];
    this.wal?.reset([{ t: "height", height }, ...early]);
    this.log.debug({ height }, "new height");
    await this.runEffects(this.engine.handle({ type: "startHeight", params: this.heightParams(height) }));
  }

  private async replay(height: number, records: WalRecord[]): Promise<void> {
    this.log.info({ height, records: records.length }, "replaying the consensus WAL");
    this.blocks.clear();
    this.signed.clear();
    this.intents.clear();
    for (const r of records) {
      if (r.t === "intent") this.intents.set(`${r.step}/${r.round}`, { value: r.value, timeMs: r.timeMs });
      if (r.t === "signed") {
        this.signed.set(`${r.step}/${r.round}`, { value: r.value, timeMs: r.timeMs, signature: fromBase64(r.signature) as Uint8Array });
      }
    }
    this.replaying = true;
    this.pendingRequests.clear();
    await this.runEffects(this.engine.handle({ type: "startHeight", params: this.heightParams(height) }));
    for (const r of records) {
      if (r.t !== "input") continue;
      const inputAt = inputHeight(r.input);
      if (inputAt !== height && inputAt !== height + 1) continue;
      if (inputAt === height + 1) this.nextHeightRecords.push(r); // the engine buffers it, as it did live
      if (r.block !== undefined) {
        const block = decodeBlock(fromBase64(r.block) as Uint8Array);
        this.blocks.set(toHex(blockHash(block.header)), block);
      }
      if (r.input.type === "valueReady") this.pendingRequests.delete(`get/${r.input.round}`);
      if (r.input.type === "validity") this.pendingRequests.delete(`validate/${r.input.value}`);
      await this.input(r.input);
    }
    this.replaying = false;
    // Requests the crash interrupted (asked, never answered) are asked again now.
    const pending = [...this.pendingRequests.values()];
    this.pendingRequests.clear();
    await this.runEffects(pending);
  }

  // ---- effects ----

  private async effect(e: Effect): Promise<void> {
    switch (e.type) {
      case "newRound":
        if (e.round > 0) this.log.info({ height: e.height, round: e.round }, "new round");
        return;
      case "publishProposal":
        this.publishProposal(e.proposal);
        return;
      case "publishVote":
        this.publishVote(e.vote);
        return;
      case "scheduleTimeout": {
        const { kind, height, round } = e;
        this.later(e.durationMs, () => this.enqueue(() => this.input({ type: "timeout", kind, height, round })));
        return;
      }
      case "getValue":
        if (this.replaying) {
          this.pendingRequests.set(`get/${e.round}`, e);
          return;
        }
        this.enqueue(() => this.buildValue(e.height, e.round));
        return;
      case "validate":
        if (this.replaying) {
          this.pendingRequests.set(`validate/${e.value}`, e);
          return;
        }
        this.enqueue(() => this.validateValue(e.height, e.value));
        return;
      case "decide":
        await this.decide(e.height, e.round, e.value, e.precommits);
        return;
      case "evidence":
        this.log.warn({ height: e.first.height, round: e.first.round, validator: e.first.validator }, "equivocation seen");
        return;
    }
  }

  private async buildValue(height: number, round: number): Promise<void> {
    if (this.engine.height !== height || this.engine.currentRound !== round) return;
    const info = this.o.app.info();
    const timeMs = Math.max(this.now(), info.lastBlockTimeMs + 1);
    const proposer = this.o.signer.address;
    const block = await this.o.app.propose({ height, timeMs, proposer, lastCommit: info.lastCommit });
    const value = toHex(blockHash(block.header));
    this.blocks.set(value, block);
    await this.input({ type: "valueReady", height, round, value }, block);
  }

  private async validateValue(height: number, value: ValueId): Promise<void> {
    const block = this.blocks.get(value);
    if (block === undefined || this.engine.height !== height) return; // the block never arrived
    const verdict = await this.o.app.validate(block);
    if (!verdict.valid) this.log.warn({ height, reason: verdict.reason }, "invalid proposal");
    await this.input({ type: "validity", height, value, valid: verdict.valid });
  }

  /** Signs through the guard, unless the WAL already holds this very message signed before a crash. */
  private signOnce(
    step: number,
    height: number,
    round: number,
    value: string | null,
    signBytes: (timeMs: number) => Uint8Array,
  ) {
    const key = `${step}/${round}`;
    const before = this.signed.get(key);
    if (before !== undefined && before.value === value) return before;
    // Intent first, fsynced: after a crash at any point below, the replay asks for the very same bytes (same
    // time), which the guard re-signs, instead of new bytes for the same step, which it must refuse.
    const intent = this.intents.get(key);
    if (intent !== undefined && intent.value !== value) {
      // The replayed engine asks for something else than what was about to be signed before the crash:
      // never sign it (the guard would refuse too); stop and let an operator look.
      throw new Error(`WAL replay diverged at height ${height} round ${round} step ${step}: refusing to sign`);
    }
    const timeMs = intent !== undefined ? intent.timeMs : this.now();
    if (intent === undefined) this.wal?.append({ t: "intent", step, height, round, value, timeMs }, true);
    const signature = this.o.signer.sign({ height, round, step, signBytes: signBytes(timeMs) });
    const record = { value, timeMs, signature };
    this.signed.set(key, record);
    // Not fsynced: the next intent's fsync carries it, and the last one is recoverable from the guard.
    this.wal?.append({ t: "signed", step, height, round, value, timeMs, signature: toBase64(signature) });
    return record;
  }

  private publishProposal(p: Proposal): void {
    const chainId = this.o.app.info().chainId;
    this.signOnce(STEP_PROPOSE, p.height, p.round, p.value, (timeMs) =>
      proposalSignBytes(chainId, {
        height: p.height,
        round: p.round,
        polRound: p.polRound,
        blockHash: fromHex(p.value) as Uint8Array,
        timeMs,
        proposerAddress: this.o.signer.address,
      }),
    );
    // broadcast: the p2p issue
  }

  private publishVote(v: Vote): void {
    const chainId = this.o.app.info().chainId;
    const step = v.type === PREVOTE ? STEP_PREVOTE : STEP_PRECOMMIT;
    this.signOnce(step, v.height, v.round, v.value, (timeMs) =>
      voteSignBytes(chainId, {
        type: v.type,
        height: v.height,
        round: v.round,
        blockHash: v.value === null ? new Uint8Array(0) : (fromHex(v.value) as Uint8Array),
        timeMs,
        validatorAddress: this.o.signer.address,
      }),
    );
    // broadcast: the p2p issue
  }

  private async decide(height: number, round: number, value: ValueId, precommits: Vote[]): Promise<void> {
    const block = this.blocks.get(value);
    if (block === undefined) throw new Error(`decided block ${value} at height ${height} is not known here`);
    const signatures = precommits.map((v) => {
      const validator = this.validators[v.validator];
      const own = equalBytes(validator.address, this.o.signer.address) ? this.signed.get(`${STEP_PRECOMMIT}/${round}`) : undefined;
      if (own === undefined) throw new Error("precommits from other validators travel with the p2p issue");
      return { validatorAddress: validator.address, timeMs: own.timeMs, signature: own.signature };
    });
    const commit: Commit = { height, round, blockHash: fromHex(value) as Uint8Array, signatures };
    const started = this.now();
    await this.o.app.commit(block, commit);
    this.log.info({ height, round, txs: block.txs.length, hash: value, ms: this.now() - started }, "committed block");
    // The next height starts one interval after this block's time, so blocks come every ~interval however
    // long building and committing took (CometBFT waits its timeout_commit after the commit instead).
    // Clamped to one interval: a block time from the future (or a clock that stepped back) cannot stall us.
    const interval = this.o.commitTimeoutMs;
    const wait = Math.min(interval, Math.max(0, block.header.timeMs + interval - this.now()));
    this.later(wait, () => this.enqueue(() => this.startHeight(height + 1)));
  }
}

import type { Logger } from "pino";
import type { Application, ValidationResult } from "../consensus/application.ts";
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
import type { PriorityCheckpoint } from "../consensus/proposer.ts";
import { STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSE } from "../consensus/signer-guard.ts";
import { fromBase64, fromHex, toHex } from "../crypto/bytes.ts";
import {
  type Block,
  blockHash,
  type Commit,
  decodeBlock,
  encodeBlock,
  type Validator,
} from "../proto/block.ts";
import { proposalSignBytes, type SignedVote, voteSignBytes } from "../proto/consensus.ts";
import { compactProposalOf, type ReceivedConsensusMessage } from "../proto/p2p.ts";
import { BLOCK_PARAM_CAPS } from "../proto/block-caps.ts";
import type { Fsyncer } from "./durable-file.ts";
import type { AssembledBlock } from "./compact-proposal.ts";
import { type CompactBlock, validatorIndex } from "./consensus-checks.ts";
import { ConsensusInbox } from "./consensus-inbox.ts";
import { type ConsensusNetwork, ConsensusOutbox } from "./consensus-outbox.ts";
import { LatePrecommits } from "./late-precommits.ts";
import { canonicalEvidence, EvidencePool, type EvidenceRecord } from "./evidence-pool.ts";
import { ProposerSchedules } from "./proposer-schedules.ts";
import type { VoteSig, WalRecord } from "./consensus-wal-record.ts";
import { OwnSignatures } from "./own-signatures.ts";
import type { GuardedSigner } from "./signer.ts";
import { SignedVotes } from "./signed-votes.ts";
import { readWal, Wal } from "./wal.ts";

/**
 * Runs the Tendermint engine for real: timers, the guarded signer, the application (propose, validate,
 * commit) and the write-ahead log. One queue owns the engine, so inputs are handled one at a time, each
 * written to the WAL before the engine sees it; every message this validator signs leaves only once its WAL
 * records (and every input before them) and the signer state are fsynced, off the main thread. On start, a
 * WAL for the next height is replayed into a fresh engine: messages signed before the crash are found in the
 * WAL and sent again as they were, never signed differently.
 *
 * Peers' messages come in through `receive`, authenticated there (consensus-checks.ts) before the engine sees
 * them; our own signed messages go out through `network.broadcast` and are sent again every
 * `rebroadcastMs`, so a lost message or a healed partition does not stall the chain. Block sync (a node
 * behind its peers) commits decided blocks through `applySynced` on the same queue, between inputs.
 */
/** The block of a checked compact proposal from `peer`, its txs found or fetched; undefined if they were not. */
export type AssembleProposal = (c: CompactBlock, peer: string | undefined) => Promise<AssembledBlock | undefined>;

export type { EvidenceRecord } from "./evidence-pool.ts";

/** The block a proposal or our own value input names (by its value id), if any. */
function blockIdOf(input: Input): ValueId | undefined {
  if (input.type === "proposal") return input.proposal.value;
  if (input.type === "valueReady") return input.value;
  return undefined;
}

export type { ConsensusNetwork } from "./consensus-outbox.ts";

/** How far ahead of our clock a proposed block's time may be (validators' clocks are assumed within this). */
const MAX_FUTURE_BLOCK_TIME_MS = 10_000;
export interface DriverOptions {
  app: Application;
  network?: ConsensusNetwork;
  /** How often our own messages of the current height are sent again (default 1000 ms). */
  rebroadcastMs?: number;
  signer: GuardedSigner;
  walPath: string;
  /** How the WAL's writes are made durable (default: fsync on libuv's thread pool). */
  fsyncer?: Fsyncer;
  timeouts: TimeoutConfig;
  /** Pause after a decision before the next height starts: the block interval (the pace when idle). */
  commitTimeoutMs: number;
  /**
   * Whether the pending transactions already fill a block (node/backlog.ts). Then the interval would only
   * delay work that is waiting: the next height starts as soon as every validator's precommit is in.
   */
  backlogged?: () => boolean;
  /** Proposer priorities this node saved earlier (local, derived from the chain): a restart walks from it. */
  priorityCheckpoint?: PriorityCheckpoint;
  /** Called every CHECKPOINT_INTERVAL heights of the walk, to save the priorities for the next start. */
  savePriorityCheckpoint?: (c: PriorityCheckpoint) => void;
  /**
   * Evidence older than this many blocks can no longer be committed: it is not kept or relayed. Read each
   * time: the params in force (governance may change them).
   */
  evidenceMaxAgeBlocks?: () => number;
  /** The chain's maxBlockTxs in force: a proposed block with more is refused before it is decoded (default: the cap). */
  maxBlockTxs?: () => number;
  /**
   * Why this node must not take part in `height` at all (a passed upgrade this binary cannot run), or
   * undefined. Asked before a height starts and before block sync commits a block: the error stops the
   * driver (onFatal gets it) before it proposes, votes, or writes the height's WAL.
   */
  haltBefore?: (height: number) => Error | undefined;
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
  private rebroadcastTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Blocks known at the current and next height, by value id (block hash hex). */
  private readonly blocks = new Map<ValueId, Block>();
  /** Own signatures of the current height (and those found in the WAL at replay). */
  private readonly own: OwnSignatures;
  /** Own messages: sent once durable, then again on each re-broadcast tick while their height lasts. */
  private readonly outbox: ConsensusOutbox;
  /** Value ids of the blocks whose bytes the current WAL file holds: recorded again, only by reference. */
  private readonly walBlocks = new Set<ValueId>();
  /** Every signed vote (own and peers') of the current and next height. */
  private readonly votes = new SignedVotes();
  /** Peers' messages, authenticated before they are queued; proposals taken in, per round. */
  private readonly inbox: ConsensusInbox;
  /** Who proposes each round of the current and next height. */
  private readonly schedules: ProposerSchedules;
  private readonly encoded = new WeakMap<Block, Uint8Array>();
  /** Equivocations seen or received, for our proposals. */
  private readonly evidencePool: EvidencePool;
  /** Block sync is committing blocks: the engine's height is stale, so no height starts until it ends. */
  private syncs = 0;
  private replaying = false;
  private pendingRequests = new Map<string, Effect>();
  private validators: Validator[] = [];
  private nextHeightRecords: WalRecord[] = [];
  /** Rebuilds a compact proposal's block from its tx hashes (node/compact-proposal.ts), set by the network. */
  private assemble: AssembleProposal | undefined;
  /** Precommits for the last decided block beyond its quorum, for the next block's last commit. */
  private readonly late: LatePrecommits;
  /** The height whose start under backlog is already queued (see startEarlyUnderBacklog). */
  private earlyStart = 0;

  constructor(opts: DriverOptions) {
    this.o = opts;
    this.now = opts.now ?? Date.now;
    this.log = opts.logger;
    this.outbox = new ConsensusOutbox({
      network: opts.network,
      committedHeight: () => this.o.app.info().height,
      currentRound: () => this.engine.currentRound,
      stopped: () => this.stopped,
      onFail: (err) => this.fail(err),
    });
    this.own = new OwnSignatures({
      signer: opts.signer,
      wal: { append: (r) => this.wal?.append(r), flush: async () => this.wal?.flush() },
      now: this.now,
      log: this.log,
    });
    this.schedules = new ProposerSchedules({
      app: opts.app,
      checkpoint: opts.priorityCheckpoint,
      saveCheckpoint: opts.savePriorityCheckpoint,
      log: this.log,
    });
    this.evidencePool = new EvidencePool({
      maxAgeBlocks: opts.evidenceMaxAgeBlocks,
      committedHeight: () => this.o.app.info().height,
      log: this.log,
    });
    this.late = new LatePrecommits({
      chainId: () => this.o.app.info().chainId,
      validators: (h) => this.o.app.validators(h),
      votes: this.votes,
    });
    this.inbox = new ConsensusInbox({
      app: opts.app,
      schedules: this.schedules,
      engine: () => ({ height: this.engine.height, round: this.engine.currentRound }),
      votes: this.votes,
      evidence: this.evidencePool,
      maxBlockTxs: opts.maxBlockTxs ?? (() => BLOCK_PARAM_CAPS.maxBlockTxs),
    });
  }

  /** Evidence of equivocation this node holds (for its proposals, and node_status). */
  get evidence(): readonly EvidenceRecord[] {
    return this.evidencePool.records;
  }

  /** Replays the WAL if it belongs to the next height, then runs. */
  async start(): Promise<void> {
    const next = this.o.app.info().height + 1;
    const { records, droppedTail } = readWal<WalRecord>(this.o.walPath);
    if (droppedTail > 0) this.log.warn({ bytes: droppedTail }, "dropped a torn record at the end of the WAL");
    this.wal = Wal.open<WalRecord>(this.o.walPath, this.o.fsyncer);
    const first = records[0];
    // Not a height this binary must halt before (an upgrade's): startHeight refuses that one and stops.
    if (first?.t === "height" && first.height === next && this.o.haltBefore?.(next) === undefined) {
      // On the queue, like every input: peers' messages that arrive meanwhile wait until the replay is done.
      await this.run(() => this.replay(next, records));
    } else {
      const wait = Math.max(0, this.o.app.info().lastBlockTimeMs + this.o.commitTimeoutMs - this.now());
      this.later(wait, () => this.enqueue(() => this.startHeight(next)));
    }
    if (this.o.network !== undefined) {
      this.rebroadcastTimer = setInterval(() => this.outbox.resend(), this.o.rebroadcastMs ?? 1000);
      this.rebroadcastTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.rebroadcastTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.queue;
    await Promise.allSettled([this.outbox.settled(), this.o.signer.settled()]);
    await this.wal?.close();
  }

  get height(): number {
    return this.engine.height;
  }

  /** How compact proposals (blocks named by their tx hashes) get their txs: the network sets it. */
  useProposalAssembler(assemble: AssembleProposal): void {
    this.assemble = assemble;
  }

  /** A block known here for the current or next height (proposed by us or received), by hash (hex). */
  knownBlock(value: ValueId): { block: Block; bytes: () => Uint8Array } | undefined {
    const block = this.blocks.get(value);
    return block === undefined ? undefined : { block, bytes: () => this.bytesOf(block) };
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
      .catch((err) => this.fail(err));
  }

  private fail(err: unknown): void {
    this.stopped = true;
    clearInterval(this.rebroadcastTimer);
    for (const t of this.timers) clearTimeout(t);
    this.o.onFatal(err);
  }

  /** Runs `job` on the queue and hands its outcome (including its error, which is not fatal) to the caller. */
  private run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.queue.then(() => {
      if (this.stopped) throw new Error("consensus stopped");
      return job();
    });
    this.queue = result.then(
      () => {},
      () => {},
    );
    return result;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  /** Logs an input to the WAL, feeds it to the engine, runs the effects. */
  private async input(input: Exclude<Input, { type: "startHeight" }>, block?: Block, sig?: VoteSig): Promise<void> {
    if (!this.replaying) {
      const id = block !== undefined ? blockIdOf(input) : undefined;
      const recorded = id !== undefined && this.walBlocks.has(id);
      const record: WalRecord = { t: "input", input, bytes: block && !recorded ? this.bytesOf(block) : undefined, sig };
      if (id !== undefined) this.walBlocks.add(id);
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
    const schedule = this.schedules.at(height);
    const index = validatorIndex(this.validators, this.o.signer.address);
    let self = index >= 0 ? index : undefined;
    let firstRound = 0;
    const last = this.o.signer.lastSigned;
    if (self !== undefined && last !== undefined && last.height > height) {
      // The signer state is past this height (a database moved away to sync again): the guard would refuse
      // every message here, so this node only follows until it reaches the height it signed at.
      this.log.warn({ height, signedHeight: last.height }, "the signer signed at a later height: not voting here");
      self = undefined;
    } else if (self !== undefined && last?.height === height && !this.own.hasIntent(last.step, last.round)) {
      // Signed at this height, but the WAL does not say what (it was moved away or lost): what this node voted
      // up to that round is unknown, so it sits those rounds out instead of asking the guard to sign again.
      firstRound = last.round + 1;
      this.log.warn({ height, round: firstRound }, "the WAL does not hold what was signed at this height: starting at a later round");
    }
    return {
      height,
      validators: this.validators.map((v) => ({ power: v.power })),
      proposer: (r) => schedule.proposer(r),
      self,
      timeouts: this.o.timeouts,
      firstRound,
    };
  }

  private async startHeight(height: number): Promise<void> {
    // The last height's messages out first (their records durable): its WAL and outbox are about to go.
    await this.outbox.released();
    // A start scheduled before block sync moved the chain on is stale; sync starts the right height itself.
    if (this.syncs > 0 || height !== this.o.app.info().height + 1 || this.engine.height >= height) return;
    const halt = this.o.haltBefore?.(height);
    if (halt !== undefined) throw halt; // fails the queue: nothing more runs
    this.forgetBelow(height);
    const early = this.nextHeightRecords.filter((r) => r.t === "input" && inputHeight(r.input) === height);
    this.nextHeightRecords = [];
    await this.wal?.reset([{ t: "height", height }, ...early]);
    this.walBlocks.clear();
    for (const r of early) {
      const id = r.t === "input" && r.bytes !== undefined ? blockIdOf(r.input) : undefined;
      if (id !== undefined) this.walBlocks.add(id);
    }
    this.log.debug({ height }, "new height");
    await this.runEffects(this.engine.handle({ type: "startHeight", params: this.heightParams(height) }));
  }

  /** Drops what belonged to heights before `height` (blocks and votes of `height` + 1 are kept). */
  private forgetBelow(height: number): void {
    for (const [id, block] of this.blocks) if (block.header.height < height) this.blocks.delete(id);
    this.votes.pruneBelow(height);
    this.inbox.forgetBelow(height);
    this.own.clear();
    this.outbox.clear();
  }

  private async replay(height: number, records: WalRecord[]): Promise<void> {
    this.log.info({ height, records: records.length }, "replaying the consensus WAL");
    this.forgetBelow(height);
    this.own.restore(records);
    for (const r of records) {
      const id = r.t === "input" && r.bytes !== undefined ? blockIdOf(r.input) : undefined;
      if (id !== undefined) this.walBlocks.add(id);
    }
    this.replaying = true;
    this.pendingRequests.clear();
    await this.runEffects(this.engine.handle({ type: "startHeight", params: this.heightParams(height) }));
    for (const r of records) {
      if (r.t !== "input") continue;
      const inputAt = inputHeight(r.input);
      if (inputAt !== height && inputAt !== height + 1) continue;
      if (inputAt === height + 1) this.nextHeightRecords.push(r); // the engine buffers it, as it did live
      if (r.bytes !== undefined) {
        const block = decodeBlock(r.bytes);
        this.encoded.set(block, r.bytes);
        const id = toHex(blockHash(block.header));
        if (!this.blocks.has(id)) this.blocks.set(id, block);
      }
      if (r.input.type === "vote" && r.sig !== undefined) this.restoreVote(r.input.vote, r.sig);
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
        this.recordSeenEvidence(e.first, e.second);
        return;
    }
  }

  private recordSeenEvidence(first: Vote, second: Vote): void {
    const a = this.votes.get(first.height, first.type, first.round, first.validator, first.value);
    const b = this.votes.get(second.height, second.type, second.round, second.validator, second.value);
    if (a === undefined || b === undefined) return; // replayed from the WAL without signatures: nothing to show
    const evidence = canonicalEvidence({ voteA: a, voteB: b });
    if (this.evidencePool.add(evidence, "seen")) this.o.network?.broadcast({ type: "evidence", evidence });
  }

  private async buildValue(height: number, round: number): Promise<void> {
    if (this.engine.height !== height || this.engine.currentRound !== round) return;
    if (this.o.app.info().height + 1 !== height) return; // block sync already went past this height
    const info = this.o.app.info();
    const timeMs = Math.max(this.now(), info.lastBlockTimeMs + 1);
    const proposer = this.o.signer.address;
    const started = this.now();
    const evidence = this.evidencePool.list();
    const lastCommit = this.late.withLate(info.lastCommit);
    const block = await this.o.app.propose({ height, timeMs, proposer, lastCommit, evidence });
    this.log.debug({ height, round, txs: block.txs.length, ms: this.now() - started }, "proposal built");
    const value = toHex(blockHash(block.header));
    this.blocks.set(value, block);
    await this.input({ type: "valueReady", height, round, value }, block);
  }

  private async validateValue(height: number, value: ValueId): Promise<void> {
    const block = this.blocks.get(value);
    if (block === undefined || this.engine.height !== height) return; // the block never arrived
    if (this.o.app.info().height + 1 !== height) return; // block sync already went past this height
    const started = this.now();
    // Block times must move forward (the application checks that); here they must also not run ahead of
    // our clock by more than a bound, or a Byzantine proposer could push every later block's time into the
    // future. A judgement of this node's clock, like a vote, so it lives here (and in the WAL), not in the
    // deterministic validity rules that block sync applies.
    const ahead = block.header.timeMs - started;
    const verdict: ValidationResult =
      ahead > MAX_FUTURE_BLOCK_TIME_MS
        ? { valid: false, reason: `block time is ${ahead} ms ahead of this node's clock` }
        : await this.o.app.validate(block);
    this.log.debug({ height, txs: block.txs.length, valid: verdict.valid, ms: this.now() - started }, "proposal checked");
    if (!verdict.valid) this.log.warn({ height, reason: verdict.reason }, "invalid proposal");
    await this.input({ type: "validity", height, value, valid: verdict.valid });
  }

  private publishProposal(p: Proposal): void {
    const chainId = this.o.app.info().chainId;
    const proposal = (timeMs: number) => ({
      height: p.height,
      round: p.round,
      polRound: p.polRound,
      blockHash: fromHex(p.value) as Uint8Array,
      timeMs,
      proposerAddress: this.o.signer.address,
    });
    const signed = this.own.sign(STEP_PROPOSE, p.height, p.round, p.value, (timeMs) =>
      proposalSignBytes(chainId, proposal(timeMs)),
    );
    const block = this.blocks.get(p.value);
    if (signed === undefined) return;
    if (block === undefined || this.o.network === undefined) {
      // Not sent (no network, or the block is not in hand): a failed write is still fatal, never unhandled.
      signed.durable.then(undefined, (err: unknown) => this.fail(err));
      return;
    }
    // Compact: the peers hold the txs (gossiped at admission) and fetch what they lack from us.
    const message = compactProposalOf({ proposal: proposal(signed.timeMs), signature: signed.signature }, block);
    this.outbox.send(`${STEP_PROPOSE}/${p.round}`, p.round, message, signed.durable, this.replaying);
  }

  /** A block's canonical bytes, encoded once (or as received): the WAL and the gossip both need them. */
  private bytesOf(block: Block): Uint8Array {
    let bytes = this.encoded.get(block);
    if (bytes === undefined) {
      bytes = encodeBlock(block);
      this.encoded.set(block, bytes);
    }
    return bytes;
  }

  private publishVote(v: Vote): void {
    const chainId = this.o.app.info().chainId;
    const step = v.type === PREVOTE ? STEP_PREVOTE : STEP_PRECOMMIT;
    const vote = (timeMs: number) => ({
      type: v.type,
      height: v.height,
      round: v.round,
      blockHash: v.value === null ? new Uint8Array(0) : (fromHex(v.value) as Uint8Array),
      timeMs,
      validatorAddress: this.o.signer.address,
    });
    const signed = this.own.sign(step, v.height, v.round, v.value, (timeMs) => voteSignBytes(chainId, vote(timeMs)));
    // Refused: the engine counted a vote that was never signed; a decision that needs it stops the node (its
    // commit could not be built), never a commit without the signature.
    if (signed === undefined) return;
    const sv: SignedVote = { vote: vote(signed.timeMs), signature: signed.signature };
    this.votes.add(v.validator, v.value, sv, true);
    this.outbox.send(`${step}/${v.round}`, v.round, { type: "vote", vote: sv }, signed.durable, this.replaying);
  }

  private async decide(height: number, round: number, value: ValueId, precommits: Vote[]): Promise<void> {
    if (this.o.app.info().height >= height) return; // block sync committed it meanwhile
    const block = this.blocks.get(value);
    if (block === undefined) throw new Error(`decided block ${value} at height ${height} is not known here`);
    // The commit may carry our precommit's signature: it is stored and served only once that is durable.
    await this.outbox.released();
    const signatures = this.votes.commitSignatures(height, round, value, precommits.map((v) => v.validator));
    const commit: Commit = { height, round, blockHash: fromHex(value) as Uint8Array, signatures };
    const started = this.now();
    await this.o.app.commit(block, commit);
    this.late.keep(height, round, value, precommits);
    this.log.info({ height, round, txs: block.txs.length, hash: value, ms: this.now() - started }, "committed block");
    this.o.network?.broadcast({ type: "status", height });
    // The next height starts one interval after this block's time, so blocks come every ~interval however
    // long building and committing took (CometBFT waits its timeout_commit after the commit instead).
    // Clamped to one interval: a block time from the future (or a clock that stepped back) cannot stall us.
    const interval = this.o.commitTimeoutMs;
    const wait = Math.min(interval, Math.max(0, block.header.timeMs + interval - this.now()));
    this.later(wait, () => this.enqueue(() => this.startHeight(height + 1)));
    this.startEarlyUnderBacklog(height);
  }

  /**
   * Under backlog the next height starts without waiting out the interval (as CometBFT's
   * skip_timeout_commit): the interval is the pace when idle, not a cap on throughput. Only once every
   * validator's precommit for the decided block is in hand, so the next block's last commit still names
   * them all (staking counts a validator missing from it as having missed the block); until then the
   * interval's timer, or the last late precommit, starts it. startHeight ignores a second start.
   */
  private startEarlyUnderBacklog(decided: number): void {
    if (this.engine.height !== decided || this.earlyStart === decided + 1 || this.o.backlogged?.() !== true) return;
    const commit = this.o.app.info().lastCommit;
    if (commit?.height !== decided) return;
    if (commit.signatures.length + this.late.count(decided) < this.o.app.validators(decided).length) return;
    this.earlyStart = decided + 1; // queued once, however many nudges come before it runs
    this.enqueue(() => this.startHeight(decided + 1));
  }

  /**
   * The mempool grew (the node calls this as txs are admitted): if it now fills a block while the next
   * height waits out the interval, that height starts now rather than at the interval's end.
   */
  backlogGrew(): void {
    if (!this.stopped) this.startEarlyUnderBacklog(this.o.app.info().height);
  }

  // ---- from the network ----

  /**
   * A consensus message from a peer. Votes and proposals are checked (signer, signature, block) before they
   * are queued for the engine; ones for other heights than the current and next are ignored (block sync
   * deals with being behind). A proposal's height, round and signature are checked before its block is
   * even decoded. Throws PeerMisbehaviour for what no honest peer sends: the caller drops it. Returns
   * "dropped" for a message of no use (out of the window, already had, out of turn), so the caller can
   * charge the peer for the bytes: honest peers send few of those, a peer flooding them is cut off.
   */
  receive(m: ReceivedConsensusMessage, from?: string): "taken" | "dropped" {
    if (this.stopped) return "taken";
    const c = this.inbox.check(m);
    switch (c.kind) {
      case "dropped":
        return "dropped";
      case "status":
        return "taken";
      case "lastHeightVote":
        if (this.late.take(c.vote, this.o.app.info().lastCommit)) this.startEarlyUnderBacklog(c.vote.vote.height);
        return "taken";
      case "vote": {
        const { vote, signed, sig } = c;
        this.enqueue(async () => {
          // Taken in (and so remembered as seen) only if the engine can use it now: a message it would drop
          // must still count when its re-broadcast comes, after this node caught up or moved rounds.
          if (!this.inbox.engineTakes(vote.height, vote.round)) return;
          if (this.votes.has(vote.height, vote.type, vote.round, vote.validator, vote.value)) return;
          if (!this.votes.add(vote.validator, vote.value, signed)) return; // this validator's share is used up
          await this.input({ type: "vote", vote }, undefined, sig);
        });
        return "taken";
      }
      case "proposal":
        this.encoded.set(c.block, c.bytes);
        this.takeProposal(c.proposal, c.id, c.block);
        return "taken";
      case "compactProposal": {
        if (this.assemble === undefined) return "dropped"; // no way to get its txs
        const { proposal, id } = c;
        // Its txs from the mempool, the missing ones fetched: not received until they are all here.
        this.assemble(c.compact, from).then(
          (assembled) => {
            if (assembled === undefined || this.stopped) return;
            if (assembled.bytes !== undefined) this.encoded.set(assembled.block, assembled.bytes);
            this.takeProposal(proposal, id, assembled.block);
          },
          // A fault while assembling one proposal (not a peer's: those resolve undefined) must not stop the node.
          (err: unknown) => this.log.error({ err, height: proposal.height, value: proposal.value }, "could not assemble a compact proposal"),
        );
        return "taken";
      }
      case "evidence":
        this.evidencePool.add(c.evidence, "received");
        return "taken";
    }
  }

  /** Queues a checked proposal and its block (its body checked against its header) for the engine. */
  private takeProposal(proposal: Proposal, id: string, block: Block): void {
    const { height, round, value } = proposal;
    this.enqueue(async () => {
      if (!this.inbox.admitProposal(id, height, round)) return;
      // The body was checked against the header, so a block already held under this hash is this block.
      if (!this.blocks.has(value)) this.blocks.set(value, block);
      await this.input({ type: "proposal", proposal }, block);
    });
  }

  /** A peer's vote found in the WAL at replay: back into the store, so a commit can be built from it. */
  private restoreVote(v: Vote, sig: VoteSig): void {
    const validator = this.o.app.validators(v.height)[v.validator];
    if (validator === undefined) return;
    const sv: SignedVote = {
      vote: {
        type: v.type,
        height: v.height,
        round: v.round,
        blockHash: v.value === null ? new Uint8Array(0) : (fromHex(v.value) as Uint8Array),
        timeMs: sig.timeMs,
        validatorAddress: validator.address,
      },
      signature: fromBase64(sig.signature) as Uint8Array,
    };
    this.votes.add(v.validator, v.value, sv);
  }

  // ---- block sync ----

  /** Block sync begins: no height starts until `endSync`, which starts the one after the last synced block. */
  beginSync(): void {
    this.syncs++; // counted: a new sync may begin before the last one's endSync job has run
  }

  /**
   * Commits a decided block learned from a peer, between engine inputs. `app.commit` verifies the commit
   * against the validator set and executes the block in full; a bad block or commit rejects (the peer's
   * fault, not ours) and nothing changes. Resolves false if the chain is not at the block's parent.
   */
  applySynced(block: Block, commit: Commit): Promise<boolean> {
    return this.run(async () => {
      if (block.header.height !== this.o.app.info().height + 1) return false;
      const halt = this.o.haltBefore?.(block.header.height);
      if (halt !== undefined) throw halt;
      await this.o.app.commit(block, commit);
      return true;
    });
  }

  endSync(): void {
    this.enqueue(async () => {
      this.syncs--;
      await this.startHeight(this.o.app.info().height + 1);
    });
  }
}

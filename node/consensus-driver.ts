import type { Logger } from "pino";
import type { ValidationResult } from "../consensus/application.ts";
import { Engine } from "../consensus/engine/engine.ts";
import type { Effect, HeightParams, Input, Proposal, ValueId, Vote } from "../consensus/engine/types.ts";
import { fromHex, toHex } from "../crypto/bytes.ts";
import { type Block, blockHash, type Commit } from "../proto/block.ts";
import type { ReceivedConsensusMessage } from "../proto/p2p.ts";
import { BLOCK_PARAM_CAPS } from "../proto/block-caps.ts";
import type { AssembleProposal, DriverOptions } from "./consensus-driver-options.ts";
import { ConsensusInbox } from "./consensus-inbox.ts";
import { ConsensusOutbox, DEFAULT_REBROADCAST_MS } from "./consensus-outbox.ts";
import { ConsensusWal } from "./consensus-wal.ts";
import type { VoteSig, WalRecord } from "./consensus-wal-record.ts";
import { heightParamsAt } from "./height-params.ts";
import { LatePrecommits } from "./late-precommits.ts";
import { EarlyStart } from "./early-start.ts";
import { BlockBytes } from "./block-bytes.ts";
import { canonicalEvidence, EvidencePool, type EvidenceRecord } from "./evidence-pool.ts";
import { OwnMessages } from "./own-messages.ts";
import { OwnSignatures } from "./own-signatures.ts";
import { ProposerSchedules } from "./proposer-schedules.ts";
import { SerialQueue } from "./serial-queue.ts";
import { SignedVotes } from "./signed-votes.ts";
import { votesToRelay } from "./vote-relay.ts";
import { answeredKey, replaySteps, requestKey, restoredVote } from "./wal-replay.ts";

export type { AssembleProposal, DriverOptions } from "./consensus-driver-options.ts";
export type { EvidenceRecord } from "./evidence-pool.ts";
export type { ConsensusNetwork } from "./consensus-outbox.ts";

/** How far ahead of our clock a proposed block's time may be (validators' clocks are assumed within this). */
const MAX_FUTURE_BLOCK_TIME_MS = 10_000;

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
 * `rebroadcastMs`, with the votes of others that peers may lack (ConsensusOutbox.resend), so a lost message
 * or a healed partition does not stall the chain. Block sync (a node
 * behind its peers) commits decided blocks through `applySynced` on the same queue, between inputs.
 *
 * Its parts, one job each: the queue and timers (serial-queue.ts), the WAL file (consensus-wal.ts) and what
 * its records mean at replay (wal-replay.ts), our own messages (own-messages.ts), the early start under backlog
 * (early-start.ts), the votes to relay (vote-relay.ts), and those listed in the README's "Consensus seam".
 */
export class ConsensusDriver {
  private readonly o: DriverOptions;
  private readonly now: () => number;
  private readonly log: Logger;
  private engine = new Engine();
  private readonly wal = new ConsensusWal();
  /** The single queue the engine's inputs run on, and the timers. */
  private readonly jobs: SerialQueue;
  /** Blocks known at the current and next height, by value id (block hash hex). */
  private readonly blocks = new Map<ValueId, Block>();
  /** Own signatures of the current height (and those found in the WAL at replay). */
  private readonly own: OwnSignatures;
  /** Own messages: sent once durable, then again on each re-broadcast tick while their height lasts. */
  private readonly outbox: ConsensusOutbox;
  /** Signs and sends our proposals and votes. */
  private readonly publish: OwnMessages;
  /** Every signed vote (own and peers') of the current and next height. */
  private readonly votes = new SignedVotes();
  /** Peers' messages, authenticated before they are queued; proposals taken in, per round. */
  private readonly inbox: ConsensusInbox;
  /** Who proposes each round of the current and next height. */
  private readonly schedules: ProposerSchedules;
  private readonly encoded = new BlockBytes();
  /** Equivocations seen or received, for our proposals. */
  private readonly evidencePool: EvidencePool;
  /** Block sync is committing blocks: the engine's height is stale, so no height starts until it ends. */
  private syncs = 0;
  /** Starts of the chain's next height queued by endSync: until they run, the engine lags the chain by design. */
  private startsQueued = 0;
  private replaying = false;
  private pendingRequests = new Map<string, Effect>();
  /** Rebuilds a compact proposal's block from its tx hashes (node/compact-proposal.ts), set by the network. */
  private assemble: AssembleProposal | undefined;
  /** Precommits for the last decided block beyond its quorum, for the next block's last commit. */
  private readonly late: LatePrecommits;
  /** Starts the next height at once under backlog (early-start.ts). */
  private readonly early: EarlyStart;

  constructor(opts: DriverOptions) {
    this.o = opts;
    this.now = opts.now ?? Date.now;
    this.log = opts.logger;
    this.jobs = new SerialQueue((err) => this.o.onFatal(err));
    this.outbox = new ConsensusOutbox({
      network: opts.network,
      committedHeight: () => this.o.app.info().height,
      currentRound: () => this.engine.currentRound,
      stopped: () => this.jobs.stopped,
      relayed: () => votesToRelay(
        this.votes,
        { height: this.engine.height, round: this.engine.currentRound, lock: this.engine.lock },
        this.o.signer.address,
      ),
      rebroadcastMs: opts.rebroadcastMs ?? DEFAULT_REBROADCAST_MS,
      onFail: (err) => this.jobs.fail(err),
    });
    this.own = new OwnSignatures({
      signer: opts.signer,
      wal: { append: (r) => this.wal.append(r), flush: () => this.wal.flush() },
      now: this.now,
      log: this.log,
    });
    this.publish = new OwnMessages({
      own: this.own,
      outbox: this.outbox,
      votes: this.votes,
      signer: opts.signer,
      chainId: () => this.o.app.info().chainId,
      networked: opts.network !== undefined,
      onFail: (err) => this.jobs.fail(err),
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
    this.early = new EarlyStart({
      app: opts.app,
      late: this.late,
      engineHeight: () => this.engine.height,
      backlogged: opts.backlogged,
      start: (height) => this.jobs.enqueue(() => this.startHeight(height)),
    });
    this.inbox = new ConsensusInbox({
      app: opts.app,
      schedules: this.schedules,
      engine: () => ({ height: this.engine.height, round: this.engine.currentRound, starting: this.startsQueued > 0 }),
      backed: (height, round, value) => height === this.engine.height && this.engine.quorumBacks(round, value),
      votes: this.votes,
      evidence: this.evidencePool,
      maxBlockTxs: opts.maxBlockTxs ?? (() => BLOCK_PARAM_CAPS.maxBlockTxs),
    });
  }

  /** Evidence of equivocation this node holds (for its proposals, and node_getStatus). */
  get evidence(): readonly EvidenceRecord[] {
    return this.evidencePool.records;
  }

  /** Replays the WAL if it belongs to the next height, then runs. */
  async start(): Promise<void> {
    const next = this.o.app.info().height + 1;
    const records = this.wal.open(this.o.walPath, this.o.fsyncer, this.log);
    const first = records[0];
    // Not a height this binary must halt before (an upgrade's): startHeight refuses that one and stops.
    if (first?.t === "height" && first.height === next && this.o.haltBefore?.(next) === undefined) {
      // On the queue, like every input: peers' messages that arrive meanwhile wait until the replay is done.
      await this.jobs.run(() => this.replay(next, records));
    } else {
      const wait = Math.max(0, this.o.app.info().lastBlockTimeMs + this.o.commitTimeoutMs - this.now());
      this.jobs.later(wait, () => this.jobs.enqueue(() => this.startHeight(next)));
    }
    const every = this.o.rebroadcastMs ?? DEFAULT_REBROADCAST_MS;
    if (this.o.network !== undefined) this.jobs.every(every, () => this.outbox.resend());
  }

  async stop(): Promise<void> {
    await this.jobs.stop();
    await Promise.allSettled([this.outbox.settled(), this.o.signer.settled()]);
    await this.wal.close();
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
    return block === undefined ? undefined : { block, bytes: () => this.encoded.of(block) };
  }

  get round(): number {
    return this.engine.currentRound;
  }

  /** Logs an input to the WAL, feeds it to the engine, runs the effects. */
  private async input(input: Exclude<Input, { type: "startHeight" }>, block?: Block, sig?: VoteSig): Promise<void> {
    if (!this.replaying) this.wal.recordInput(input, this.engine.height, block, (b) => this.encoded.of(b), sig);
    await this.runEffects(this.engine.handle(input));
  }

  private async runEffects(effects: Effect[]): Promise<void> {
    for (const e of effects) await this.effect(e);
  }

  // ---- heights ----

  private heightParams(height: number): HeightParams {
    return heightParamsAt(height, {
      validators: this.o.app.validators(height),
      schedule: this.schedules.at(height),
      signer: this.o.signer,
      own: this.own,
      timeouts: this.o.timeouts,
      log: this.log,
    });
  }

  private async startHeight(height: number): Promise<void> {
    // The last height's messages out first (their records durable): its outbox, and its WAL if the decision
    // did not replace that already (beginNextWal), are about to go.
    await this.outbox.released();
    // A start scheduled before block sync moved the chain on is stale; sync starts the right height itself.
    if (this.syncs > 0 || height !== this.o.app.info().height + 1 || this.engine.height >= height) return;
    const halt = this.o.haltBefore?.(height);
    if (halt !== undefined) throw halt; // fails the queue: nothing more runs
    this.forgetBelow(height);
    await this.wal.beginHeight(height);
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

  /** Replays a WAL file of `height` (read at start) into the fresh engine: see node/wal-replay.ts. */
  private async replay(height: number, records: WalRecord[]): Promise<void> {
    this.log.info({ height, records: records.length }, "replaying the consensus WAL");
    this.forgetBelow(height);
    this.own.restore(records);
    this.wal.holdsBlocksOf(records);
    this.replaying = true;
    this.pendingRequests.clear();
    await this.runEffects(this.engine.handle({ type: "startHeight", params: this.heightParams(height) }));
    for (const { record, nextHeight, block } of replaySteps(height, records)) {
      if (nextHeight) this.wal.carry(record); // the engine buffers it, as it did live
      if (block !== undefined) {
        this.encoded.set(block.block, block.bytes);
        if (!this.blocks.has(block.id)) this.blocks.set(block.id, block.block);
      }
      if (record.input.type === "vote" && record.sig !== undefined) this.restoreVote(record.input.vote, record.sig);
      const answered = answeredKey(record.input);
      if (answered !== undefined) this.pendingRequests.delete(answered);
      await this.input(record.input);
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
        this.publish.proposal(e.proposal, this.blocks.get(e.proposal.value), this.replaying);
        return;
      case "publishVote":
        this.publish.vote(e.vote, this.replaying);
        return;
      case "scheduleTimeout": {
        const { kind, height, round } = e;
        this.jobs.later(e.durationMs, () => this.jobs.enqueue(() => this.input({ type: "timeout", kind, height, round })));
        return;
      }
      case "getValue":
        if (this.replaying) {
          this.pendingRequests.set(requestKey(e), e);
          return;
        }
        this.jobs.enqueue(() => this.buildValue(e.height, e.round));
        return;
      case "validate":
        if (this.replaying) {
          this.pendingRequests.set(requestKey(e), e);
          return;
        }
        this.jobs.enqueue(() => this.validateValue(e.height, e.value));
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

  private async decide(height: number, round: number, value: ValueId, precommits: Vote[]): Promise<void> {
    if (this.o.app.info().height >= height) return; // block sync committed it meanwhile
    const block = this.blocks.get(value);
    if (block === undefined) throw new Error(`decided block ${value} at height ${height} is not known here`);
    // The commit may carry our precommit's signature: it is stored and served only once that is durable.
    await this.outbox.released();
    const signatures = this.votes.commitSignatures(height, round, value, precommits.map((v) => v.validator));
    const commit: Commit = { height, round, blockHash: fromHex(value) as Uint8Array, signatures };
    const started = this.now();
    await this.o.app.commit(block, commit, this.encoded.of(block));
    this.late.keep(height, round, value, precommits);
    this.log.info({ height, round, txs: block.txs.length, hash: value, ms: this.now() - started }, "committed block");
    this.o.network?.broadcast({ type: "status", height });
    await this.beginNextWal(height + 1);
    // The next height starts one interval after this block's time, so blocks come every ~interval however
    // long building and committing took (CometBFT waits its timeout_commit after the commit instead).
    // Clamped to one interval: a block time from the future (or a clock that stepped back) cannot stall us.
    const interval = this.o.commitTimeoutMs;
    const wait = Math.min(interval, Math.max(0, block.header.timeMs + interval - this.now()));
    this.jobs.later(wait, () => this.jobs.enqueue(() => this.startHeight(height + 1)));
    this.early.consider(height);
  }

  /**
   * Moves the WAL to the next height's file as soon as this height's block is committed (durable, so its
   * records are needed no more), as CometBFT ends a height in its WAL at the commit: the file's replacement
   * then runs in the interval's shadow, not between the interval's timer and the next proposal's time, where
   * under RPC load it cost tens of milliseconds a block. Only the switch is awaited here: the new file's
   * fsyncs run on libuv's thread pool while the next height starts, and its first flush (before anything
   * signed in it leaves) waits for them (node/wal.ts `reset`). Left to startHeight, as before: a height this
   * binary halts before (it starts no file for it); a decision during block sync (the block is not yet
   * fsynced: sync fsyncs once per range); and one during a replay (the replayed next-height records go to the
   * file startHeight writes).
   */
  private async beginNextWal(next: number): Promise<void> {
    if (this.o.haltBefore?.(next) !== undefined || this.syncs > 0 || this.replaying) return;
    await this.outbox.released(); // what we signed at this height leaves before its file goes
    await this.wal.beginHeight(next);
  }

  /**
   * The mempool grew (the node calls this as txs are admitted): if it now fills a block while the next
   * height waits out the interval, that height starts now rather than at the interval's end.
   */
  backlogGrew(): void {
    if (!this.jobs.stopped) this.early.consider(this.o.app.info().height);
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
    if (this.jobs.stopped) return "taken";
    const c = this.inbox.check(m, from);
    switch (c.kind) {
      case "dropped":
        return "dropped";
      case "status":
        return "taken";
      case "lastHeightVote":
        // One of no use (in the commit already, held, another block or round) is charged as such: replayed,
        // it was "taken" every time, never counted against its sender.
        if (!this.late.take(c.vote, this.o.app.info().lastCommit)) return "dropped";
        this.early.consider(c.vote.vote.height);
        return "taken";
      case "vote": {
        const { vote, signed, sig } = c;
        this.jobs.enqueue(async () => {
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
            if (assembled === undefined) this.inbox.assemblyFailed(id, from);
            if (assembled === undefined || this.jobs.stopped) return;
            if (assembled.bytes !== undefined) this.encoded.set(assembled.block, assembled.bytes);
            this.takeProposal(proposal, id, assembled.block);
          },
          // A fault while assembling one proposal (not a peer's: those resolve undefined) must not stop the node.
          (err: unknown) => this.log.error({ err, height: proposal.height, value: proposal.value }, "could not assemble a compact proposal"),
        );
        return "taken";
      }
      case "evidence":
        // Not kept (its validator already has a fresh piece against it): charged like any message of no use.
        return this.evidencePool.add(c.evidence, "received") ? "taken" : "dropped";
    }
  }

  /** Queues a checked proposal and its block (its body checked against its header) for the engine. */
  private takeProposal(proposal: Proposal, id: string, block: Block): void {
    const { height, round, value } = proposal;
    this.jobs.enqueue(async () => {
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
    this.votes.add(v.validator, v.value, restoredVote(v, sig, validator));
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
    return this.jobs.run(async () => {
      if (block.header.height !== this.o.app.info().height + 1) return false;
      const halt = this.o.haltBefore?.(block.header.height);
      if (halt !== undefined) throw halt;
      await this.o.app.commit(block, commit);
      return true;
    });
  }

  /** Whether the network decided this node's height with a block it never received (BlockSync.check). */
  lacksDecidedBlock(): boolean {
    if (this.syncs > 0 || this.engine.height !== this.o.app.info().height + 1) return false;
    return this.engine.decidedWithoutProposal;
  }

  endSync(): void {
    this.startsQueued++;
    this.jobs.enqueue(async () => {
      try {
        this.syncs--;
        await this.startHeight(this.o.app.info().height + 1);
      } finally {
        this.startsQueued--;
      }
    });
  }
}

import { MAX_BLOCK_EVIDENCE } from "../proto/block-caps.ts";
import type { Logger } from "pino";
import type { Application, ChainInfo, ProposeRequest, ValidationResult } from "../consensus/application.ts";
import { findValidator, verifyCommit } from "../consensus/validator-set.ts";
import { encodeAddress } from "../crypto/address.ts";
import { equalBytes, toHex } from "../crypto/bytes.ts";
import {
  type Block,
  blockHash,
  blockTxHashes,
  knownTxHashes,
  bodyChecked,
  bodyMismatch,
  type Commit,
  commitHash,
  evidenceRoot,
  type Header,
  txsRoot,
  type Validator,
  validatorsHash,
} from "../proto/block.ts";
import { CodecError } from "../proto/codec.ts";
import type { DuplicateVoteEvidence } from "../proto/consensus.ts";
import { type DecodedTx, decodeTx } from "../proto/tx.ts";
import { TxError } from "../state/errors.ts";
import {
  beginBlock,
  type BlockContext,
  type BlockExecution,
  endBlock,
  executeBlock,
  executeTx,
} from "../state/execute.ts";
import { operatorOf } from "../state/modules/staking/staking.ts";
import type { Genesis } from "../state/genesis.ts";
import type { UpgradePlan } from "../state/modules/gov/queries.ts";
import type { UpgradeHaltError } from "../state/upgrades/halt.ts";
import { NO_UPGRADES, type UpgradeBinary } from "../state/upgrades/handler.ts";
import { currentParams, PARAMS_KEY } from "../state/modules/gov/params-store.ts";
import type { ChainParams } from "../state/params.ts";
import { paramsToJson } from "../state/params-check.ts";
import type { ChainDb } from "../state/store/chain-db.ts";
import type { LatestState } from "../state/store/latest-state.ts";
import { Overlay } from "../state/view.ts";
import type { Mempool } from "./mempool.ts";
import { logBlockEvents } from "./block-event-log.ts";
import { blockEvidence, type EvidenceRules, evidenceProblem, includableEvidence } from "./block-evidence.ts";
import { type UpgradeStatus, UpgradeTracker } from "./upgrade-status.ts";
import type { TxVerifier } from "./tx-verifier.ts";
import { ValidatorSets } from "./validator-sets.ts";
import { blockWorkProblem } from "../state/work.ts";
import { blockFill } from "./backlog.ts";
import { BlockResults } from "./block-results.ts";
import { type ExecutedBlock, writeExecuted } from "./executed-block.ts";

export interface CommittedEvent {
  height: number;
  hash: Uint8Array;
  timeMs: number;
  numTxs: number;
  txs: DecodedTx[];
  /** The round it was decided in (its commit's). */
  round: number;
  /** How long its LevelDB batch took to write (node/metrics.ts). */
  batchMs: number;
}

export type { UpgradeStatus } from "./upgrade-status.ts";

/**
 * The application behind the consensus interface: builds, checks and commits blocks of bank transactions
 * over the LevelDB store. Execution itself is the pure code in state/; this class adds the I/O around it.
 */
export class ChainApp implements Application {
  private readonly db: ChainDb;
  private readonly state: LatestState;
  private readonly genesis: Genesis;
  private readonly mempool: Mempool;
  private readonly verifier: TxVerifier;
  private readonly log: Logger;
  /** Whether commits write the search index ([index] enabled in config.toml). */
  readonly indexing: boolean;
  private current: ChainInfo;
  private readonly executed = new Map<string, ExecutedBlock>();
  private lastFill = 0;
  /** Why blocks of this height were refused, by hash (blocks whose body matched their header only). */
  private readonly refused = new Map<string, string>();
  private executions = 0;
  private readonly listeners: ((e: CommittedEvent) => void)[] = [];
  private readonly sets: ValidatorSets;
  /** The upgrade handlers this binary carries and the heights its operator skips (state/upgrades/). */
  readonly upgrades: UpgradeBinary;
  /** Whether to halt before a height for an upgrade, and the upgrade status (node/upgrade-status.ts). */
  private readonly upgradeTracker: UpgradeTracker;
  /** The params the next block runs under: read from state at start and after a block that changes them. */
  private inForce: ChainParams;

  constructor(opts: {
    db: ChainDb;
    state: LatestState;
    genesis: Genesis;
    mempool: Mempool;
    verifier: TxVerifier;
    info: ChainInfo;
    logger: Logger;
    /** The validator sets the state schedules, read at start-up (openChain). */
    validatorSets: ValidatorSets;
    /** Write the search index with each block (default true). */
    index?: boolean;
    /** Upgrade handlers and skipped heights (default none: any passed upgrade halts at its height). */
    upgrades?: UpgradeBinary;
  }) {
    this.upgrades = opts.upgrades ?? NO_UPGRADES;
    this.indexing = opts.index ?? true;
    this.db = opts.db;
    this.state = opts.state;
    this.genesis = opts.genesis;
    this.mempool = opts.mempool;
    this.verifier = opts.verifier;
    this.current = opts.info;
    this.log = opts.logger;
    this.sets = opts.validatorSets;
    this.upgradeTracker = new UpgradeTracker(this.state, this.upgrades);
    this.inForce = currentParams(this.state, this.genesis.params);
    this.mempool.useParams(this.inForce);
  }

  /**
   * The chain params in force for the next block: genesis's until governance changes them (a change executed
   * in block H applies from H + 1). Block building and checking, the mempool (told on change), the
   * consensus driver's limits and evidence age all read these, so every part of the node agrees.
   */
  get params(): ChainParams {
    return this.inForce;
  }

  info(): ChainInfo {
    return this.current;
  }

  /** How close the last committed block came to its bounds (node/backlog.ts blockFill; 0 before the first). */
  get lastBlockFill(): number {
    return this.lastFill;
  }

  /** Blocks checked in full (not answered from the cache) or built, since start: for tests. */
  get blocksExecuted(): number {
    return this.executions;
  }

  validators(height: number): Validator[] {
    return this.sets.at(height);
  }

  validatorSetSince(height: number): number {
    return this.sets.since(height);
  }

  /** Calls `listener` after every committed block; returns a function that unsubscribes. */
  onCommit(listener: (e: CommittedEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private context(
    height: number,
    timeMs: number,
    proposer: Uint8Array,
    lastCommit: Commit | undefined,
    evidence: readonly DuplicateVoteEvidence[],
  ): BlockContext {
    return {
      chainId: this.genesis.chainId,
      height,
      timeMs,
      proposer,
      feeRecipient: operatorOf(this.state, proposer) ?? proposer,
      // As of the last committed block: a governance change executed in block H applies from H + 1.
      params: this.inForce,
      lastCommitVotes: lastCommitVotes(height > 1 ? this.validators(height - 1) : [], lastCommit),
      evidence: evidence.map(blockEvidence),
      work: { credits: 0, txFee: 0n }, // executeTx sets the fee of each tx it runs
      upgrades: this.upgrades,
    };
  }

  /**
   * The passed upgrade this binary must halt before `height` for (default the next height), or undefined:
   * checked before a height starts, so the node neither proposes, votes nor commits at it.
   */
  upgradeHalt(height = this.current.height + 1): UpgradeHaltError | undefined {
    return this.upgradeTracker.haltBefore(height);
  }

  /** The node stopped for `plan`. */
  markUpgradeHalted(plan: UpgradePlan): void {
    this.upgradeTracker.markHalted(plan);
  }

  /** node_getStatus's view of the pending upgrade (UpgradeTracker.status). */
  upgradeStatus(): UpgradeStatus | null {
    return this.upgradeTracker.status();
  }

  /**
   * The context the next block's transactions would run in, for tx_simulate (rpc/tx-simulation.ts): the next
   * height at `timeMs`, the first validator of its set standing in for its proposer (who receives the fee).
   */
  nextBlockContext(timeMs: number): BlockContext {
    const height = this.current.height + 1;
    const proposer = this.validators(height)[0]?.address ?? new Uint8Array(20);
    const time = Math.max(timeMs, this.current.lastBlockTimeMs + 1);
    return this.context(height, time, proposer, this.current.lastCommit, []);
  }

  /** The rules evidence in a block at this point must meet (node/block-evidence.ts). */
  private evidenceRules(): EvidenceRules {
    return {
      chainId: this.genesis.chainId,
      state: this.state,
      validators: (h) => this.validators(h),
      maxAgeBlocks: this.inForce.staking.maxEvidenceAgeBlocks,
    };
  }

  async propose(req: ProposeRequest): Promise<Block> {
    const params = this.inForce;
    const candidates = this.mempool.reap(params.maxBlockTxs, params.maxBlockBytes, params.maxBlockWork);
    const evidence = includableEvidence(req.evidence, req.height, this.evidenceRules());
    const ctx = this.context(req.height, req.timeMs, req.proposer, req.lastCommit, evidence);
    const view = new Overlay(this.state);
    const txs: DecodedTx[] = [];
    const taken = new BlockResults(req.height, this.indexing, candidates.length);
    const blockEvents = beginBlock(view, ctx);
    this.executions++;
    for (const tx of candidates) {
      try {
        const result = executeTx(view, tx, ctx); // a throwing tx wrote nothing (ante checks come first)
        taken.add(tx, result);
        txs.push(tx);
      } catch (err) {
        if (!(err instanceof TxError)) throw err;
        this.log.debug({ tx: toHex(tx.hash), reason: err.message }, "dropping tx that no longer executes");
        this.mempool.remove(tx, err);
      }
    }
    blockEvents.push(...endBlock(view, ctx));
    const writes = view.sortedWrites();
    const tree = this.state.treeWith(writes);
    const vals = this.validators(req.height);
    const txHashes = txs.map((t) => t.hash);
    const header: Header = {
      chainId: this.genesis.chainId,
      height: req.height,
      timeMs: req.timeMs,
      lastBlockHash: this.current.lastBlockHash,
      lastCommitHash: commitHash(req.lastCommit),
      txsRoot: txsRoot(txHashes),
      stateRoot: tree.rootHash,
      resultsRoot: taken.root(),
      validatorsHash: validatorsHash(vals),
      nextValidatorsHash: validatorsHash(this.validators(req.height + 1)),
      proposerAddress: req.proposer,
      evidenceRoot: evidenceRoot(evidence),
    };
    const block: Block = { header, txs: txs.map((t) => t.bytes), lastCommit: req.lastCommit, evidence };
    knownTxHashes(block, txHashes); // each tx was hashed at its decode: the commit's records need not hash again
    const hash = blockHash(header);
    const indexTerms = taken.indexTerms(blockEvents);
    const executed: ExecutedBlock = { block, hash, txs, results: taken, indexTerms, writes, tree, blockEvents };
    this.executed.set(toHex(hash), executed);
    return block;
  }

  async validate(block: Block): Promise<ValidationResult> {
    try {
      await this.execute(block);
      return { valid: true };
    } catch (err) {
      if (err instanceof InvalidBlockError) {
        // A refusal is as deterministic as an execution (until the next commit clears both): a proposal
        // re-sent in a later round is refused again without being checked again. Only a block whose body
        // is the one its header names is remembered, so a forged body cannot poison the real block's hash.
        if (bodyMismatch(block) === undefined) this.refused.set(toHex(blockHash(block.header)), err.message);
        return { valid: false, reason: err.message };
      }
      throw err;
    }
  }

  /** Fully checks and executes a block (or returns the cached execution); throws InvalidBlockError. */
  private async execute(block: Block): Promise<ExecutedBlock> {
    const h = block.header;
    const hash = blockHash(h);
    const id = toHex(hash);
    // The header commits to the body only through roots, so a hit must be this very block: the same
    // object (our own proposal), or a body that matches the header's roots (a proposal from the network
    // had that checked on arrival, see node/consensus-checks.ts; bodyMismatch remembers it per object).
    const cached = this.executed.get(id);
    if (cached !== undefined && (cached.block === block || bodyMismatch(block) === undefined)) return cached;
    const refusal = this.refused.get(id);
    if (refusal !== undefined && bodyMismatch(block) === undefined) throw new InvalidBlockError(refusal);

    this.executions++;
    const prev = this.current;
    const params = this.inForce;
    const fail = (reason: string): never => {
      throw new InvalidBlockError(`block ${h.height} invalid: ${reason}`);
    };
    if (h.chainId !== this.genesis.chainId) fail(`chain id "${h.chainId}"`);
    if (h.height !== prev.height + 1) fail(`height ${h.height} does not follow ${prev.height}`);
    if (!equalBytes(h.lastBlockHash, prev.lastBlockHash)) fail("last block hash does not match");
    if (h.timeMs <= prev.lastBlockTimeMs)
      fail(`time ${h.timeMs} is not after the previous block's ${prev.lastBlockTimeMs}`);
    if (!equalBytes(h.lastCommitHash, commitHash(block.lastCommit))) fail("last commit hash does not match");
    if (prev.height > 0) {
      if (block.lastCommit === undefined) fail("missing last commit");
      // The very commit verified when the previous block was committed (same hash: the same signatures) is
      // not verified again: block sync would check every commit twice, a proposal its last commit again.
      const verified = prev.lastCommit !== undefined && equalBytes(h.lastCommitHash, commitHash(prev.lastCommit));
      const why = verified ? undefined : verifyCommit(
        this.genesis.chainId,
        this.validators(prev.height),
        prev.height,
        prev.lastBlockHash,
        block.lastCommit as Commit,
      );
      if (why !== undefined) fail(`last commit: ${why}`);
    } else if (block.lastCommit !== undefined) {
      fail("the first block has no last commit");
    }
    if (findValidator(this.validators(h.height), h.proposerAddress) === undefined) {
      fail(`proposer ${encodeAddress(h.proposerAddress)} is not a validator`);
    }
    if (!equalBytes(h.validatorsHash, validatorsHash(this.validators(h.height)))) fail("validators hash");
    if (!equalBytes(h.nextValidatorsHash, validatorsHash(this.validators(h.height + 1))))
      fail("next validators hash");
    if (!bodyChecked(block) && !equalBytes(h.evidenceRoot, evidenceRoot(block.evidence))) fail("evidence root");
    if (block.evidence.length > MAX_BLOCK_EVIDENCE)
      fail(`${block.evidence.length} pieces of evidence exceed the limit ${MAX_BLOCK_EVIDENCE}`);
    const accused = new Set<string>();
    const rules = this.evidenceRules();
    block.evidence.forEach((e, i) => {
      const why = evidenceProblem(e, h.height, rules);
      if (why !== undefined) fail(`evidence ${i}: ${why}`);
      const who = toHex(e.voteA.vote.validatorAddress);
      if (accused.has(who)) fail(`evidence ${i} accuses a validator a second time`);
      accused.add(who);
    });
    if (block.txs.length > params.maxBlockTxs)
      fail(`${block.txs.length} txs exceed the limit ${params.maxBlockTxs}`);
    let bytes = 0;
    for (const t of block.txs) bytes += t.byteLength;
    if (bytes > params.maxBlockBytes) fail(`${bytes} tx bytes exceed the limit ${params.maxBlockBytes}`);

    const txs: DecodedTx[] = [];
    const seen = new Set<string>();
    const hashes = blockTxHashes(block);
    for (let i = 0; i < block.txs.length; i++) {
      // A tx already in our mempool was decoded (canonically) at admission: the hash of the bytes names it.
      const id = toHex(hashes[i]);
      const known = this.mempool.get(id);
      try {
        txs.push(known ?? decodeTx(block.txs[i], hashes[i]));
      } catch (err) {
        if (err instanceof CodecError) fail(`tx ${i}: ${err.message}`);
        throw err;
      }
      if (seen.has(id)) fail(`tx ${i} appears twice`);
      seen.add(id);
    }
    if (!bodyChecked(block) && !equalBytes(h.txsRoot, txsRoot(txs.map((t) => t.hash)))) fail("txs root does not match");
    // Before the signatures and execution it bounds: an over-budget block costs its checker little.
    const overWork = blockWorkProblem(txs, params);
    if (overWork !== undefined) fail(overWork);
    const bad = await this.verifier.verifyAll(txs);
    if (bad >= 0) fail(`tx ${bad} has an invalid signature`);
    // Execution must run against the state the header checks above were made for.
    if (this.current !== prev) fail("the chain moved on while the block was being checked");

    const ctx = this.context(h.height, h.timeMs, h.proposerAddress, block.lastCommit, block.evidence);
    const taken = new BlockResults(h.height, this.indexing, txs.length);
    const outcome = executeBlock(this.state, txs, ctx, (tx, result) => taken.add(tx, result));
    if (!outcome.ok)
      fail(`tx ${outcome.rejected.index} cannot be included: ${outcome.rejected.error.message}`);
    const execution = (outcome as { ok: true; execution: BlockExecution<void> }).execution;
    const { writes, blockEvents } = execution;
    if (!equalBytes(h.resultsRoot, taken.root())) fail("results root does not match");
    const tree = this.state.treeWith(writes);
    if (!equalBytes(h.stateRoot, tree.rootHash)) fail("state root does not match");

    const indexTerms = taken.indexTerms(blockEvents);
    const executed: ExecutedBlock = { block, hash, txs, results: taken, indexTerms, writes, tree, blockEvents };
    this.executed.set(toHex(hash), executed);
    return executed;
  }

  async commit(block: Block, commit: Commit, blockBytes?: Uint8Array): Promise<void> {
    const ex = await this.execute(block);
    const why = verifyCommit(
      this.genesis.chainId,
      this.validators(ex.block.header.height),
      ex.block.header.height,
      ex.hash,
      commit,
    );
    if (why !== undefined) throw new InvalidBlockError(`refusing to commit block ${ex.block.header.height}: ${why}`);
    const height = ex.block.header.height;
    const batchStarted = performance.now();
    await writeExecuted(this.db, ex, commit, blockBytes);
    const batchMs = performance.now() - batchStarted;
    this.state.apply(ex.writes, ex.tree);
    this.sets.addWrites(ex.writes);
    // The fill is against the limits the block was built under (before a change it executed applies).
    this.lastFill = blockFill(ex.txs, this.inForce);
    if (ex.writes.some((w) => equalBytes(w.key, PARAMS_KEY))) {
      this.inForce = currentParams(this.state, this.genesis.params);
      this.mempool.useParams(this.inForce);
      this.log.info({ height, params: paramsToJson(this.inForce) }, "chain params changed; in force from the next block");
    }
    logBlockEvents(this.log, height, ex.blockEvents);
    this.current = {
      chainId: this.genesis.chainId,
      height,
      lastBlockHash: ex.hash,
      lastBlockTimeMs: ex.block.header.timeMs,
      lastCommit: commit,
    };
    this.executed.clear(); // every other candidate was built on the previous state
    this.refused.clear();
    this.mempool.update(ex.txs);
    this.verifier.forget(ex.txs);
    const event: CommittedEvent = {
      height,
      hash: ex.hash,
      timeMs: ex.block.header.timeMs,
      numTxs: ex.txs.length,
      txs: ex.txs,
      round: commit.round,
      batchMs,
    };
    for (const listener of this.listeners) listener(event);
  }
}

/** Who of the previous height's validators signed the commit a block carries (the staking liveness input). */
function lastCommitVotes(validators: readonly Validator[], commit: Commit | undefined) {
  const signers = new Set((commit?.signatures ?? []).map((s) => toHex(s.validatorAddress)));
  return validators.map((v) => ({ address: v.address, signed: signers.has(toHex(v.address)) }));
}

export class InvalidBlockError extends Error {
  override name = "InvalidBlockError";
}

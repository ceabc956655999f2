import type { TimeoutConfig } from "../consensus/engine/types.ts";

/**
 * GET /health: whether this node is caught up and its chain is making blocks, for load balancers and
 * operators' probes. Healthy answers 200; otherwise 503 with every reason that holds.
 */

/** What the verdict is made of, read from the node when asked. */
export interface HealthInput {
  height: number;
  /**
   * Since this node committed its latest block, by its own monotonic clock (BlockAge), not by the block's
   * header time: a proposer whose clock runs ahead stamps future times, and an age read from them would keep
   * a stalled chain "healthy" for as long as that clock is ahead.
   */
  lastBlockAgeMs: number;
  /** The latest block's header time (at height 0, the genesis time), and this node's wall clock. */
  lastBlockTimeMs: number;
  nowMs: number;
  /** Distinct peers connected. */
  peers: number;
  catchingUp: boolean;
  bestPeerHeight: number;
  /** Validators in the set that signs the next block, and whether this node is one of them. */
  validators: number;
  isValidator: boolean;
  /** No block for longer than this is unhealthy: health.max_block_age_ms, or maxBlockAgeMsFor. */
  maxBlockAgeMs: number;
}

export interface HealthReport {
  healthy: boolean;
  /** Why not healthy, for a person: empty when healthy. */
  reasons: string[];
  height: number;
  /** By this node's monotonic clock, since it committed the latest block (HealthInput.lastBlockAgeMs). */
  lastBlockAgeMs: number;
  maxBlockAgeMs: number;
  peers: number;
  catchingUp: boolean;
}

/**
 * A latest header time further ahead of this node's clock than this is a reason: the proposer's clock (or
 * this node's) is wrong, and clients reading block times get times from the future. Below it, ordinary drift.
 */
export const HEADER_TIME_AHEAD_TOLERANCE_MS = 1000;

/**
 * Time since this node last committed a block, by a monotonic clock (performance.now in the node). Until the
 * first commit after start, it starts from the latest header's age by the wall clock (a node restarted on a
 * stalled chain is not "fresh"), floored at 0.
 */
export class BlockAge {
  private committedAtMs: number;
  private readonly now: () => number;

  constructor(now: () => number, ageAtStartMs: number) {
    this.now = now;
    this.committedAtMs = now() - Math.max(0, ageAtStartMs);
  }

  /** A block was committed now (ChainApp.onCommit's listener). */
  readonly committed = (): void => {
    this.committedAtMs = this.now();
  };

  get ms(): number {
    return Math.max(0, this.now() - this.committedAtMs);
  }
}

/** Rounds that all time out in a row before a missing block counts as the chain having stopped. */
export const STALL_ROUNDS = 3;

/**
 * health.max_block_age_ms when it is 0 (auto): one block interval plus STALL_ROUNDS rounds that all run out
 * their propose, prevote and precommit timeouts (each round's longer by the deltas), rounded up to a second.
 * A chain with a validator down misses a round now and then (that validator's turns to propose); three in a row
 * is no longer a hiccup. With the defaults (1 s interval, 3 s / 1 s / 1 s + 0.5 s per round): 21 s.
 */
export function maxBlockAgeMsFor(blockIntervalMs: number, t: TimeoutConfig): number {
  let ms = blockIntervalMs;
  for (let round = 0; round < STALL_ROUNDS; round++) {
    ms += t.proposeMs + t.proposeDeltaMs * round;
    ms += t.prevoteMs + t.prevoteDeltaMs * round;
    ms += t.precommitMs + t.precommitDeltaMs * round;
  }
  return Math.ceil(ms / 1000) * 1000;
}

export function checkHealth(i: HealthInput): HealthReport {
  const reasons: string[] = [];
  const lastBlockAgeMs = i.lastBlockAgeMs;
  if (i.catchingUp) {
    // Block sync also counts as catching up a node that expects peers and knows no peer's height.
    reasons.push(i.bestPeerHeight > i.height
      ? `catching up: at height ${i.height}, peers at ${i.bestPeerHeight}`
      : `catching up: at height ${i.height}, no peer's height known`);
  }
  if (lastBlockAgeMs > i.maxBlockAgeMs) {
    reasons.push(`no block for ${(lastBlockAgeMs / 1000).toFixed(1)} s (health.max_block_age_ms = ${i.maxBlockAgeMs})`);
  }
  const aheadMs = i.lastBlockTimeMs - i.nowMs;
  if (aheadMs > HEADER_TIME_AHEAD_TOLERANCE_MS) {
    reasons.push(`the latest block's header time is ${(aheadMs / 1000).toFixed(1)} s ahead of this node's clock`);
  }
  // Alone in its set a validator makes blocks by itself; with others it can make none without peers.
  if (i.isValidator && i.validators > 1 && i.peers === 0) {
    reasons.push(`no peers: this validator is one of ${i.validators} in its set`);
  }
  return {
    healthy: reasons.length === 0,
    reasons,
    height: i.height,
    lastBlockAgeMs,
    maxBlockAgeMs: i.maxBlockAgeMs,
    peers: i.peers,
    catchingUp: i.catchingUp,
  };
}

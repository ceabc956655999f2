import type { TimeoutConfig } from "../consensus/engine/types.ts";

/**
 * GET /health: whether this node is caught up and its chain is making blocks, for load balancers and
 * operators' probes. Healthy answers 200; otherwise 503 with every reason that holds.
 */

/** What the verdict is made of, read from the node when asked. */
export interface HealthInput {
  height: number;
  /** The latest block's header time (at height 0, the genesis time). */
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
  /** By this node's clock, since the latest block's header time (0 if that is ahead of the clock). */
  lastBlockAgeMs: number;
  maxBlockAgeMs: number;
  peers: number;
  catchingUp: boolean;
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
  const lastBlockAgeMs = Math.max(0, i.nowMs - i.lastBlockTimeMs);
  if (i.catchingUp) {
    // Block sync also counts as catching up a node that expects peers and knows no peer's height.
    reasons.push(i.bestPeerHeight > i.height
      ? `catching up: at height ${i.height}, peers at ${i.bestPeerHeight}`
      : `catching up: at height ${i.height}, no peer's height known`);
  }
  if (lastBlockAgeMs > i.maxBlockAgeMs) {
    reasons.push(`no block for ${(lastBlockAgeMs / 1000).toFixed(1)} s (health.max_block_age_ms = ${i.maxBlockAgeMs})`);
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

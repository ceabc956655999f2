/** What the mempool holds at most, and for how long (node/mempool.ts enforces them). */
export interface MempoolLimits {
  /** Most transactions held. */
  maxTxs: number;
  /** Most transaction bytes held. */
  maxBytes: number;
  /** Most pending transactions per sender; also how far ahead of the account's nonce a tx may be. */
  maxPerSender: number;
  /** Blocks a transaction may wait; older ones (e.g. stuck behind a nonce gap) are dropped. */
  ttlBlocks: number;
  /**
   * Milliseconds a transaction may wait, by this node's clock. Blocks alone are no clock: while the chain is
   * stalled none is made, and without this nothing would ever expire. (The mempool is node-local, not
   * consensus, so wall time is fine here.)
   */
  ttlMs: number;
  /**
   * Transactions that cannot execute yet because an earlier nonce is missing pay no fee while they wait, so
   * they are capped: per sender, and in total (a share of maxTxs), leaving room for executable ones.
   */
  maxGappedPerSender: number;
  maxGappedTotal: number;
  /**
   * Most work held (state/work.ts), in blocks at the chain's maxBlockWork: what the chain commits in that
   * many blocks, so an admitted tx waits a few blocks, and the excess is refused MEMPOOL_FULL at once.
   */
  maxWorkBlocks?: number;
}

/**
 * Sized by what the chain commits (issue 12): 4 blocks' worth of work (at the default maxBlockWork about
 * 11,000 transfers, so for transfers the 10,000-tx cap binds first: ~3.6 full blocks, 3-4 s of them at 1 s
 * blocks), so under overload a tx admitted is committed within seconds and the rest is refused MEMPOOL_FULL
 * at admission, instead of a backlog of 100,000 txs (a minute and more) that every client waits behind. The
 * count and byte caps (10,000 txs; 4 blocks of maxBlockBytes) bound memory whatever the chain's params.
 */
export const DEFAULT_MEMPOOL_LIMITS: Required<MempoolLimits> = {
  maxTxs: 10_000,
  maxBytes: 32 * 1024 * 1024,
  maxPerSender: 1_000,
  ttlBlocks: 300,
  ttlMs: 30 * 60_000,
  maxGappedPerSender: 64,
  maxGappedTotal: 1_000,
  maxWorkBlocks: 4,
};

/**
 * Replace-by-fee: a tx with the nonce of a pending tx of its sender replaces it if its fee is at least this
 * many percent higher (geth's default too). Lower, and anyone could churn the pool and its relay for nothing:
 * each replacement is admitted, checked and gossiped, but only one of them ever pays.
 */
export const REPLACEMENT_FEE_BUMP_PERCENT = 10n;

/** The least fee a replacement for a pending tx paying `fee` must pay: +REPLACEMENT_FEE_BUMP_PERCENT, rounded up, and at least +1. */
export function minReplacementFee(fee: bigint): bigint {
  const bump = (fee * REPLACEMENT_FEE_BUMP_PERCENT + 99n) / 100n;
  return fee + (bump > 0n ? bump : 1n);
}

/**
 * A full mempool makes room for a tx paying more per byte by evicting the cheapest pending txs (each the
 * highest nonce of its sender), at most this many per admission: enough for a large tx to displace a few
 * small ones, and a bound on the work one admission does.
 */
export const MAX_EVICTIONS_PER_ADMISSION = 8;

/**
 * Only a tx whose nonce is fewer than this many above its sender's account nonce may evict others from a full
 * pool. A tx far ahead pays only if every nonce before it commits, and the sender can void them all with one
 * conflicting tx of a low nonce sent through another node: without this bound one funded account could fill
 * nonces n..n+999 here, each evicting MAX_EVICTIONS_PER_ADMISSION honest txs, then drain its balance elsewhere
 * and pay for none of it. With it, what one account evicts per block is bounded by this times that.
 */
export const MAX_EVICTING_NONCE_AHEAD = 4;

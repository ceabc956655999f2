import type { DecodedTx } from "../proto/tx.ts";
import type { ChainParams } from "../state/params.ts";
import { blockWork } from "../state/work.ts";

/** What a pool of pending transactions holds, in the units a block is bounded by (node/mempool.ts). */
export interface PendingTotals {
  size: number;
  totalBytes: number;
  totalWork: number;
}

/**
 * Whether the pending transactions reach one of a block's bounds (count, bytes, work: the chain params a
 * proposal is reaped by and a block is checked against), so a proposal made now would be full and waiting
 * out the block interval would only delay work that is already here (node/consensus-driver.ts then starts
 * the next height at once). Txs waiting behind a nonce gap count too: they are bounded to a tenth of the
 * pool, and counting them can only start a block a little early, never hold one back.
 */
export function fillsABlock(
  pool: PendingTotals,
  params: Pick<ChainParams, "maxBlockTxs" | "maxBlockBytes" | "maxBlockWork">,
): boolean {
  return (
    pool.size >= params.maxBlockTxs || pool.totalBytes >= params.maxBlockBytes || pool.totalWork >= params.maxBlockWork
  );
}

/**
 * How close a block came to its bounds: the largest of its tx count, tx bytes and work over the chain's
 * limits (1 = at a limit).
 */
export function blockFill(
  txs: readonly DecodedTx[],
  params: Pick<ChainParams, "maxBlockTxs" | "maxBlockBytes" | "maxBlockWork">,
): number {
  let bytes = 0;
  for (const t of txs) bytes += t.bytes.byteLength;
  return Math.max(txs.length / params.maxBlockTxs, bytes / params.maxBlockBytes, blockWork(txs) / params.maxBlockWork);
}

/**
 * A block this close to its bounds was held back by the block limit: the reap stops when the next tx does
 * not fit, so a full block ends within one tx of a limit (a tenth of the work budget covers any tx of today).
 */
export const FULL_BLOCK_FILL = 0.9;

/**
 * Whether the chain is bound by its block limit, not paced by its interval: the last block was full and the
 * pending transactions fill another. Only then does the driver start the next height without waiting out
 * the block interval. The pool alone is not enough: txs that can never be reaped (1,000 gapped datanet txs
 * of ~9.6 KiB reach a block's bytes and work on their own) would keep every height starting at once with
 * empty blocks, at consensus speed, and age honest gapped txs out in seconds (review finding). A full last
 * block is paid for by its txs' fees. After an idle block, a burst waits out that one interval (the idle
 * pace); the full blocks after it follow each other.
 */
export function underBacklog(
  lastBlockFill: number,
  pool: PendingTotals,
  params: Pick<ChainParams, "maxBlockTxs" | "maxBlockBytes" | "maxBlockWork">,
): boolean {
  return lastBlockFill >= FULL_BLOCK_FILL && fillsABlock(pool, params);
}

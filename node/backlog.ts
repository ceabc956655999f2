import type { ChainParams } from "../state/params.ts";

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

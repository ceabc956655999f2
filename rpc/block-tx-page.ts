import { z } from "zod";

/**
 * The most txs one chain_getBlock or chain_getBlockResults answer carries (its txLimit, and the page either
 * gives without one):
 * a block may hold maxBlockTxs (20,000 by default) txs, and each in full is a read of the store and about a
 * kilobyte of answer; a bigger block is read page by page with txOffset (the explorer, `opl query block`).
 */
export const MAX_BLOCK_TX_PAGE = 1_000;

/** The txs from this index on (a block too big for one answer is read page by page). */
export const txOffsetSchema = z.number().int().min(0).optional();

/** At most this many txs, MAX_BLOCK_TX_PAGE at most (chain_getBlock with txs: "full", chain_getBlockResults). */
export const txLimitSchema = z
  .number()
  .int()
  .min(1)
  .max(
    MAX_BLOCK_TX_PAGE,
    `txLimit must be <= ${MAX_BLOCK_TX_PAGE}: read a bigger block page by page with txOffset (numTxs is its count)`,
  )
  .optional();

/**
 * The most txs one chain_getBlock answer carries (its txLimit, and the page txs: "full" gives without one):
 * a block may hold maxBlockTxs (20,000 by default) txs, and each in full is a read of the store and about a
 * kilobyte of answer; a bigger block is read page by page with txOffset (the explorer, `opl query block`).
 */
export const MAX_BLOCK_TX_PAGE = 1_000;

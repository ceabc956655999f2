import { type Block, type Commit, encodeBlock } from "../proto/block.ts";
import type { TxEvent } from "../proto/records.ts";
import type { TxResults } from "./block-results.ts";
import type { DecodedTx } from "../proto/tx.ts";
import type { BlockIndexTerms } from "../state/index-terms.ts";
import type { ChainDb } from "../state/store/chain-db.ts";
import type { TreeCandidate } from "../state/tree/versioned-tree.ts";
import type { StateWrite } from "../state/view.ts";

/** A block executed against the latest state, kept until it is committed or superseded. */
export interface ExecutedBlock {
  block: Block;
  hash: Uint8Array;
  txs: DecodedTx[];
  /**
   * Canonical TxResult bytes, committed to by the results root and stored as they are, and merkleLeaf of each:
   * the results root's leaves, stored with the block (hashed once, at execution).
   */
  results: TxResults;
  /**
   * The search index's terms, walked from the results' events at execution (undefined when the node keeps no
   * index): the decoded results themselves are not held until the commit (node/block-results.ts).
   */
  indexTerms: BlockIndexTerms | undefined;
  writes: StateWrite[];
  tree: TreeCandidate;
  blockEvents: TxEvent[];
}

/**
 * Writes an executed block, decided by `commit`, and the state it changed in one LevelDB batch. A plain
 * function: what it makes for the batch (each tx's record, the index keys) is garbage once put, where an
 * async caller's frame would hold it (it keeps its arguments and locals) until the write is done, on a loaded
 * node long enough to be promoted. `blockBytes`: the block's encoding, if the caller has it.
 */
export function writeExecuted(
  db: ChainDb,
  ex: ExecutedBlock,
  commit: Commit,
  blockBytes: Uint8Array | undefined,
): Promise<void> {
  return db.commitBlock({
    height: ex.block.header.height,
    block: ex.block,
    // The driver's copy when it has one: a full block takes ~1% of a loaded node's main thread to encode.
    blockBytes: blockBytes ?? encodeBlock(ex.block),
    meta: { hash: ex.hash, commit, numTxs: ex.txs.length },
    txs: ex.txs.map((t, i) => ({
      hash: t.hash,
      bytes: t.bytes,
      resultBytes: ex.results.bytesAt(i),
      resultLeaf: ex.results.leafAt(i),
    })),
    writes: ex.writes,
    tree: ex.tree,
    blockEvents: ex.blockEvents,
    indexTerms: ex.indexTerms,
  });
}

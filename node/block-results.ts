import { encodeTxResult, type TxEvent, type TxResult } from "../proto/records.ts";
import type { DecodedTx } from "../proto/tx.ts";
import { type BlockIndexTerms, BlockIndexWalk } from "../state/index-terms.ts";

/**
 * A block's tx results as a node keeps them from execution to commit: each tx's canonical result bytes (the
 * results root's leaves hash them, the block store keeps them) and, when the node keeps a search index, the
 * index terms walked from its events. Each decoded result is taken as execution makes it and dropped: held
 * with the block until its commit, a loaded node's decoded results outlived two scavenges and were promoted
 * to the old generation, about 0.7 KB per transfer (the bench's promoted-allocation profile).
 */
export class BlockResults {
  private readonly walk: BlockIndexWalk | undefined;
  private count = 0;

  constructor(height: number, indexing: boolean) {
    this.walk = indexing ? new BlockIndexWalk(height) : undefined;
  }

  /** Takes the result of the block's next tx (in block order); returns its canonical bytes. */
  add(tx: DecodedTx, result: TxResult): Uint8Array {
    this.walk?.tx(this.count++, tx, result);
    return encodeTxResult(result);
  }

  /** The block's index terms, given its own events once its txs are done (undefined without an index). */
  indexTerms(blockEvents: readonly TxEvent[]): BlockIndexTerms | undefined {
    return this.walk?.finish(blockEvents);
  }
}

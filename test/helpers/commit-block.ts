import { sha256 } from "../../crypto/hash.ts";
import { type Block, blockHash, encodeBlock } from "../../proto/block.ts";
import { encodeTxResult } from "../../proto/records.ts";
import type { ChainDb } from "../../state/store/chain-db.ts";
import type { StateWrite } from "../../state/view.ts";

/**
 * Commits `block` to `db` as a node would store it: its canonical bytes, a commit of no signatures at round
 * 0, each tx with an empty success result, and `writes` as the state it changed. Returns the block's hash.
 */
export async function commitTestBlock(db: ChainDb, block: Block, writes: StateWrite[] = []): Promise<Uint8Array> {
  const height = block.header.height;
  const hash = blockHash(block.header);
  await db.commitBlock({
    height,
    block,
    blockBytes: encodeBlock(block),
    meta: { hash, commit: { height, round: 0, blockHash: hash, signatures: [] }, numTxs: block.txs.length },
    txs: block.txs.map((tx) => ({ hash: sha256(tx), bytes: tx, resultBytes: encodeTxResult({ code: 0, log: "", events: [] }) })),
    writes,
  });
  return hash;
}

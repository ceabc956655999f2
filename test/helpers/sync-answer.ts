import { concatBytes } from "../../crypto/bytes.ts";
import { type Block, blockHash, encodeBlock } from "../../proto/block.ts";
import { encodeSyncedBlock } from "../../proto/p2p.ts";
import { smallBlock } from "./max-block.ts";
import { lengthPrefixed as lp } from "./wire-bytes.ts";

/**
 * A block sync answer as a server writes it (its count, then each block with its commit, length-prefixed) of
 * `count` small blocks from height `from`, each with an empty commit: for clients whose chain takes any block.
 */
export function syncAnswerOf(from: number, count: number): Uint8Array {
  const parts = [lp(Uint8Array.of(0, 0, 0, count))];
  for (let h = from; h < from + count; h++) {
    const block: Block = smallBlock({ height: h, timeMs: 1_700_000_000_000 + h });
    const commit = { height: h, round: 0, blockHash: blockHash(block.header), signatures: [] };
    parts.push(lp(encodeSyncedBlock(encodeBlock(block), commit)));
  }
  return concatBytes(...parts);
}

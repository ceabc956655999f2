import { join } from "node:path";
import type { Level } from "level";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sha256 } from "../../crypto/hash.ts";
import { type Block, blockHash, blockTxHashes, encodeBlock } from "../../proto/block.ts";
import { BUCKET, heightKey } from "../../state/store/buckets.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { smallBlock } from "../helpers/max-block.ts";
import { commitTestBlock } from "../helpers/commit-block.ts";
import { tempDir } from "../helpers/tmp.ts";

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

/** The heights whose block bytes were read from LevelDB through `get` since the spy was made. */
function blockReads(spy: { mock: { calls: unknown[][] } }): number[] {
  const prefix = heightKey(BUCKET.block, 0)[0];
  return spy.mock.calls
    .map((c) => c[0] as Uint8Array)
    .filter((key) => key.byteLength === 9 && key[0] === prefix)
    .map((key) => Number(new DataView(key.buffer, key.byteOffset + 1, 8).getBigUint64(0)));
}

/**
 * Every follower of the chain (a `blocks` subscriber's chain_getBlock, an explorer) reads the block just
 * committed. Each read was a LevelDB read, a decode and the body's check against the
 * header (a hash per tx and the merkle root); the block store now keeps the last blocks read whole, so only the
 * first follower's read costs that.
 */
describe("the block store keeps the last blocks read whole", () => {
  it("serves a block read again from memory, as first read and checked; keeps the last two", async () => {
    const t = tempDir("opl-recent-");
    cleanup = t.cleanup;
    const db = await ChainDb.open(join(t.dir, "db"));
    try {
      await db.writeGenesis("x/genesis", []);
      const blocks: Block[] = [];
      for (let h = 1; h <= 4; h++) {
        const prev = h === 1 ? new Uint8Array(0) : blockHash(blocks[h - 2].header);
        blocks.push(smallBlock({ height: h, lastBlockHash: prev, timeMs: 1_700_000_000_000 + h }));
        await commitTestBlock(db, blocks[h - 1]);
      }
      const level = (db as unknown as { db: Level<Uint8Array, Uint8Array> }).db;
      const get = vi.spyOn(level, "get");

      // The first read of each is from the store; the next ones are not, and give the same block.
      for (const h of [4, 3]) {
        expect(await db.getBlock(h)).toEqual(blocks[h - 1]);
        const got = await db.getBlock(h);
        expect(got).toEqual(blocks[h - 1]);
        expect(blockTxHashes(got as Block)).toEqual(blocks[h - 1].txs.map((tx) => sha256(tx)));
        expect(Uint8Array.from((await db.getBlockBytes(h)) ?? [])).toEqual(encodeBlock(blocks[h - 1]));
        expect(await db.txHashesOf(h)).toEqual([sha256(blocks[h - 1].txs[0])]);
      }
      expect(blockReads(get)).toEqual([4, 3]);

      // Two are kept, the least recently used out: reading 1 drops 4 (3 was used since); 3 is still kept.
      expect(await db.getBlock(1)).toEqual(blocks[0]);
      expect(await db.getBlock(3)).toEqual(blocks[2]);
      expect(blockReads(get)).toEqual([4, 3, 1]);
      expect(await db.getBlock(4)).toEqual(blocks[3]);
      expect(blockReads(get)).toEqual([4, 3, 1, 4]);
      // Emptied (an unfinished genesis written again): nothing kept is served.
      await db.clear();
      await expect(db.getBlock(4)).resolves.toBeUndefined();
    } finally {
      await db.close();
    }
  });
});

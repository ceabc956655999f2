import { join } from "node:path";
import { Level } from "level";
import { afterEach, describe, expect, it } from "vitest";
import { u64be, utf8 } from "../../crypto/bytes.ts";
import { BUCKET, bucketKey, heightKey } from "../../state/store/buckets.ts";
import { BlockStoreCorruptError, ChainDb, GAP_CHECK_HEIGHTS } from "../../state/store/chain-db.ts";
import { tempDir } from "../helpers/tmp.ts";

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

/**
 * The start-up gap check reads only the last GAP_CHECK_HEIGHTS heights' keys (a whole year-long chain took
 * minutes); a block lost deeper down is refused when it is read instead.
 */
describe("start-up gap check covers the tail; deeper losses are refused at read time", () => {
  it("finds a gap in the tail, not one deeper down, and a read of the deep one is refused", async () => {
    const t = tempDir("opl-gaptail-");
    cleanup = t.cleanup;
    const path = join(t.dir, "db");
    const latest = GAP_CHECK_HEIGHTS + 200;
    const raw = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: "view", valueEncoding: "view" });
    const ops: { type: "put"; key: Uint8Array; value: Uint8Array }[] = [];
    for (let h = 1; h <= latest; h++) {
      ops.push({ type: "put", key: heightKey(BUCKET.block, h), value: Uint8Array.of(1) });
      ops.push({ type: "put", key: heightKey(BUCKET.blockMeta, h), value: Uint8Array.of(1) });
    }
    ops.push({ type: "put", key: bucketKey(BUCKET.meta, utf8("latest")), value: u64be(latest) });
    await raw.batch(ops);
    await raw.del(heightKey(BUCKET.block, 5)); // deep: below the tail
    await raw.del(heightKey(BUCKET.blockMeta, 5));
    await raw.del(heightKey(BUCKET.blockMeta, latest - 10)); // in the tail
    await raw.close();

    const db = await ChainDb.open(path);
    try {
      expect(await db.missingBlocks(latest)).toEqual([latest - 10, latest - 10]);
      await expect(db.getBlock(5)).rejects.toThrow(BlockStoreCorruptError);
      await expect(db.getBlockBytes(5)).rejects.toThrow(/block 5 .*missing though the chain is at height/);
    } finally {
      await db.close();
    }
    const healed = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: "view", valueEncoding: "view" });
    await healed.put(heightKey(BUCKET.blockMeta, latest - 10), Uint8Array.of(1));
    await healed.close();
    const again = await ChainDb.open(path);
    try {
      const started = performance.now();
      expect(await again.missingBlocks(latest)).toBeUndefined(); // block 5 is below what start-up reads
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await again.close();
    }
  });
});

import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { equalBytes } from "../../crypto/bytes.ts";
import { type Block, blockHash } from "../../proto/block.ts";
import { committedHeader, committedHeaderOnPage } from "../../rpc/committed-header.ts";
import type { RpcContext } from "../../rpc/context.ts";
import { WorkPacer } from "../../rpc/pacer.ts";
import { RequestScope } from "../../rpc/request-scope.ts";
import { Semaphore } from "../../rpc/semaphore.ts";
import { BUCKET, heightKey } from "../../state/store/buckets.ts";
import { BlockStoreCorruptError, ChainDb } from "../../state/store/chain-db.ts";
import { commitTestBlock } from "../helpers/commit-block.ts";
import { maxSizeBlock } from "../helpers/max-block.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * A block's header is stored apart from it at commit, so a header read (a proof, a light client, a block
 * notification) reads ~400 bytes, not the block: before, every such read of a full 7 MB block read, hashed and
 * was charged for all of it. A header record that does not hash to the committed block hash is refused; a
 * block committed before headers were stored apart still has its header read from the block.
 */
let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

async function committed(blocks: Block[]): Promise<{ db: ChainDb; path: string }> {
  const t = tempDir("opl-header-");
  cleanup = t.cleanup;
  const path = join(t.dir, "db");
  const db = await ChainDb.open(path);
  await db.writeGenesis("x/genesis", []);
  for (const block of blocks) await commitTestBlock(db, block);
  return { db, path };
}

/** The parts of an RPC request's context a header read uses: the chain's height, its store, a work budget. */
function contextOf(db: ChainDb, latest: number, maxWork: number): RpcContext {
  const request = new RequestScope({
    signal: new AbortController().signal,
    maxWork,
    scans: new Semaphore(1),
    pacer: new WorkPacer(),
  });
  return { db, request, app: { info: () => ({ height: latest }) } } as unknown as RpcContext;
}

/** Changes the raw store behind ChainDb's back (it is closed meanwhile), then opens it again. */
async function onDisk(db: ChainDb, path: string, change: (level: import("level").Level<Uint8Array, Uint8Array>) => Promise<void>) {
  await db.close();
  const { Level } = await import("level");
  const level = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: "view", valueEncoding: "view" });
  await change(level);
  await level.close();
  return ChainDb.open(path);
}

describe("block headers stored apart from their blocks", () => {
  it("a header read of a full block costs one key of a request's work, not the block's size", async () => {
    const blocks = [1, 2].map((h) => maxSizeBlock(h, { height: h }));
    const { db } = await committed(blocks);
    try {
      expect(await db.blockSize(1)).toBeGreaterThan(1_000_000);
      const ctx = contextOf(db, 2, 10); // 10 keys: far less than one full block's read (BLOCK_BYTES_PER_WORK)
      const got = await committedHeader(ctx, 1);
      expect(equalBytes(got.hash, blockHash(blocks[0].header))).toBe(true);
      expect(got.header.height).toBe(1);
      expect(got.commit.height).toBe(1);
      expect(ctx.request.workDone).toBe(1);
      // A page of block notifications gets both headers within its budget.
      expect((await committedHeaderOnPage(ctx, 2, false))?.header.height).toBe(2);
      expect(ctx.request.workDone).toBe(1); // the page paid for its blocks up front
    } finally {
      await db.close();
    }
  });

  it("a header record changed on disk is refused: it does not hash to the committed block hash", async () => {
    const { db, path } = await committed([maxSizeBlock(1, { height: 1 })]);
    const again = await onDisk(db, path, async (level) => {
      const key = heightKey(BUCKET.blockHeader, 1);
      const raw = Uint8Array.from((await level.get(key)) as Uint8Array);
      raw[raw.length - 1] ^= 1;
      await level.put(key, raw);
    });
    try {
      await expect(again.getStoredHeader(1)).rejects.toThrow(BlockStoreCorruptError);
      await expect(again.getStoredHeader(1)).rejects.toThrow(/committed block hash/);
    } finally {
      await again.close();
    }
  });

  it("a block committed before headers were stored apart has its header read from the block, charged by size", async () => {
    const blocks = [1, 2].map((h) => maxSizeBlock(h, { height: h }));
    const { db, path } = await committed(blocks);
    const older = await onDisk(db, path, async (level) => {
      for (const h of [1, 2]) await level.del(heightKey(BUCKET.blockHeader, h));
    });
    try {
      expect(await older.getStoredHeader(1)).toBeUndefined();
      // A fresh request reads one such block whatever its budget (a page's first block must make progress) ...
      const ctx = contextOf(older, 2, 10);
      const got = await committedHeaderOnPage(ctx, 1, true);
      expect(equalBytes(got?.hash ?? new Uint8Array(0), blockHash(blocks[0].header))).toBe(true);
      expect(ctx.request.workDone).toBe(10); // the whole budget: the block's read, by size, at most a budget
      // ... but the next is read whole too, which no longer fits: the page ends before it.
      expect(await committedHeaderOnPage(ctx, 2, false)).toBeUndefined();
      // And a request that asks for it alone (a proof) is refused past its budget.
      const spent = contextOf(older, 2, 10);
      spent.request.charge(5);
      await expect(committedHeader(spent, 2)).rejects.toThrow(/work budget of 10 keys exceeded/);
      expect((await committedHeader(contextOf(older, 2, 10), 2)).header.height).toBe(2); // a fresh one is not
    } finally {
      await older.close();
    }
  });
});

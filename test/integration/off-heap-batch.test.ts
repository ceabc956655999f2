import { afterEach, describe, expect, it } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import { BUCKET, bucketKey } from "../../state/store/buckets.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import type { StateWrite } from "../../state/view.ts";
import { tempDir } from "../helpers/tmp.ts";
import { smallBlock } from "../helpers/max-block.ts";

/**
 * ChainDb hands LevelDB its small keys and values as copies in one reused off-heap scratch
 * (state/store/off-heap-scratch.ts), which is sound only while LevelDB copies each put (and each getSync's key)
 * before the call returns. Here a block's every small key and value goes through the same scratch views, one
 * after another, so a batch that kept a view instead of its bytes would store the last bytes written there.
 */

const META = {
  hash: new Uint8Array(32),
  commit: { height: 1, round: 0, blockHash: new Uint8Array(32), signatures: [] },
  numTxs: 0,
};

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** Deterministic bytes: `n` bytes from `seed`. */
function bytesOf(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe("a block's small keys and values, through the off-heap scratch", () => {
  it("are stored, deleted and read back each as written, at every length around V8's on-heap limit", async () => {
    const { dir, cleanup } = tempDir("off-heap-batch-");
    cleanups.push(cleanup);
    const db = await ChainDb.open(dir);
    cleanups.push(() => db.close());
    // Keys of 1-70 bytes (the bucket byte makes state keys 2-71), values of 0-90 bytes, several of each length
    // in a row: the same scratch view is written again for each.
    const writes: StateWrite[] = [];
    for (let i = 0; i < 600; i++) {
      writes.push({ key: bytesOf(i, 1 + (i % 70)), value: bytesOf(10_000 + i, i % 91) });
    }
    const block = { block: smallBlock(), blockBytes: new Uint8Array(0), meta: META, txs: [] };
    await db.commitBlock({ ...block, height: 1, writes });

    // Height 2 deletes every fifth key (a batch del through the scratch, and its history entry).
    const deleted = writes.filter((_, i) => i % 5 === 0).map((w) => ({ key: w.key, value: undefined }));
    const meta2 = { ...META, commit: { ...META.commit, height: 2 } };
    await db.commitBlock({ ...block, height: 2, meta: meta2, writes: deleted });

    const latest = db.latestValues();
    cleanups.push(() => latest.close());
    const tree = db.treeStore(); // getSync without options, by full LevelDB key
    const hexOr = (v: Uint8Array | undefined) => (v === undefined ? "absent" : toHex(v));
    writes.forEach((w, i) => {
      const now = i % 5 === 0 ? "absent" : toHex(w.value as Uint8Array);
      expect(hexOr(latest.read(w.key))).toBe(now);
      expect(hexOr(tree.get(bucketKey(BUCKET.stateLatest, w.key)))).toBe(now);
    });
    for (const [i, w] of writes.entries()) {
      expect(hexOr(await db.getStateAt(w.key, 1))).toBe(toHex(w.value as Uint8Array));
      expect(hexOr(await db.getStateAt(w.key, 2))).toBe(i % 5 === 0 ? "absent" : toHex(w.value as Uint8Array));
    }
    expect(latest.read(bytesOf(99_999, 20))).toBeUndefined();
  });
});

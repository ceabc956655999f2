import { afterEach, describe, expect, it } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import type { StateWrite } from "../../state/view.ts";
import { tempDir } from "../helpers/tmp.ts";

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
  it("are stored and read back each as written, at every length around V8's on-heap limit", async () => {
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
    const block = { block: undefined as never, blockBytes: new Uint8Array(0), meta: META, txs: [] };
    await db.commitBlock({ ...block, height: 1, writes });

    const latest = db.latestValues();
    cleanups.push(() => latest.close());
    for (const w of writes) {
      expect(toHex(latest.read(w.key) ?? Uint8Array.of(255))).toBe(toHex(w.value as Uint8Array));
      expect(toHex((await db.getStateAt(w.key, 1)) ?? Uint8Array.of(255))).toBe(toHex(w.value as Uint8Array));
    }
    expect(latest.read(bytesOf(99_999, 20))).toBeUndefined();
  });
});

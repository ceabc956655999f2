import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { ChainDb } from "../../state/store/chain-db.ts";
import { offHeapKey, offHeapValue } from "../../state/store/off-heap-scratch.ts";
import type { StateWrite } from "../../state/view.ts";
import { measureVerifyRate } from "./verify-rate.ts";
import { smallBlock } from "../helpers/max-block.ts";

/**
 * What putting a block's small records into LevelDB costs the main thread, in the same run as one ed25519
 * verify (the bench's yardstick):
 *   - puts into a classic-level chained batch of keys and values made with `new Uint8Array` (33 and 40 bytes:
 *     inside V8's heap), as they are, against the same through state/store/off-heap-scratch.ts;
 *   - ChainDb.commitBlock's synchronous part (the batch filled, before the write) per tx of a block shaped
 *     like transfers: 2 state writes (latest value and history each), a tx record and 4 index keys per tx.
 *
 *   npx node test/bench/commit-cost.ts [--txs 2000] [--blocks 30]
 */

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = argv.indexOf(name);
  return at < 0 ? fallback : Number(argv[at + 1]);
};
const TXS = option("--txs", 2000);
const BLOCKS = option("--blocks", 30);
const PUTS = 200_000;

function filled(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (seed + i * 31) & 255;
  return out;
}

async function putCost(db: Level<Uint8Array, Uint8Array>, offHeap: boolean): Promise<number> {
  const batch = db.batch();
  const t0 = performance.now();
  for (let i = 0; i < PUTS; i++) {
    const key = filled(33, i);
    const value = filled(40, i >> 8);
    if (offHeap) batch.put(offHeapKey(key), offHeapValue(value));
    else batch.put(key, value);
  }
  const us = ((performance.now() - t0) * 1000) / PUTS;
  await batch.close();
  return us;
}

async function commitCost(db: ChainDb): Promise<number> {
  const meta = {
    hash: new Uint8Array(32),
    commit: { height: 0, round: 0, blockHash: new Uint8Array(32), signatures: [] },
    numTxs: TXS,
  };
  let syncMs = 0;
  const warmUp = 5;
  for (let h = 1; h <= BLOCKS + warmUp; h++) {
    const writes: StateWrite[] = [];
    for (let i = 0; i < 2 * TXS; i++) writes.push({ key: filled(30, i + h), value: filled(48, h) });
    const txs = Array.from({ length: TXS }, (_, i) => ({
      hash: filled(32, i * 7 + h),
      bytes: filled(180, i),
      resultBytes: filled(40, i),
      resultLeaf: filled(32, i),
    }));
    const indexKeys = Array.from({ length: 4 * TXS }, (_, i) => filled(50, i + h * 3));
    const t0 = performance.now();
    const written = db.commitBlock({
      height: h,
      block: smallBlock(),
      blockBytes: filled(100, h),
      meta: { ...meta, commit: { ...meta.commit, height: h } },
      txs,
      writes,
      indexKeys,
    });
    if (h > warmUp) syncMs += performance.now() - t0;
    await written;
  }
  return (syncMs * 1000) / (BLOCKS * TXS);
}

const dir = mkdtempSync(join(tmpdir(), "commit-cost-"));
try {
  const verify = measureVerifyRate("commit-cost", 1000);
  const raw = new Level<Uint8Array, Uint8Array>(join(dir, "raw"), { keyEncoding: "view", valueEncoding: "view" });
  await raw.open();
  const onHeap: number[] = [];
  const offHeap: number[] = [];
  for (let round = 0; round < 3; round++) {
    onHeap.push(await putCost(raw, false));
    offHeap.push(await putCost(raw, true));
  }
  await raw.close();
  const db = await ChainDb.open(join(dir, "chain"));
  const commitUs = await commitCost(db);
  await db.close();
  const v = verify.verifyUs;
  const fmt = (us: number) => `${us.toFixed(2)} us (${(us / v).toFixed(3)} verifies)`;
  console.log(`one verify: ${v.toFixed(1)} us`);
  console.log(`put of a 33-byte key and 40-byte value, as made: ${onHeap.map(fmt).join(", ")}`);
  console.log(`the same through the off-heap scratch: ${offHeap.map(fmt).join(", ")}`);
  console.log(`ChainDb.commitBlock's synchronous part per tx (${TXS} txs a block, ${BLOCKS} blocks): ${fmt(commitUs)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

import { getHeapSpaceStatistics } from "node:v8";
import { applyNodeHeapTuning } from "../../node/heap-tuning.ts";

/**
 * Child-process script for test/integration/old-space-growth.test.ts (run with --expose-gc). With "tuned" as
 * its argument it applies the node's heap settings first. It keeps a mempool-like ring of decoded-tx-like
 * objects (each lives long enough to be promoted to the old space, then dies), churns through many times the
 * ring's size, and prints as JSON the largest old space it saw after the first full GCs (V8's start-up limit
 * is its own) and the live old space at the end.
 */
if (process.argv[2] === "tuned") applyNodeHeapTuning();
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

const oldSpaceUsed = () => getHeapSpaceStatistics().find((s) => s.space_name === "old_space")?.space_used_size ?? 0;
const RING = 100_000;
const ring: unknown[] = new Array<unknown>(RING);
for (let i = 0; i < RING; i++) ring[i] = { id: `tx${i}`, bytes: new Uint8Array(64), nonce: i, body: { fee: BigInt(i) } };
gc(); // start from a collected heap: the limit from here on is the growth factor's
let peak = 0;
for (let i = 0; i < 3_000_000; i++) {
  ring[i % RING] = { id: `tx${i}`, bytes: new Uint8Array(64), nonce: i, body: { fee: BigInt(i) } };
  if (i % 5_000 === 0) peak = Math.max(peak, oldSpaceUsed());
}
gc();
const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
process.stdout.write(JSON.stringify({ peakOldMb: mb(peak), liveOldMb: mb(oldSpaceUsed()), kept: ring.length }));

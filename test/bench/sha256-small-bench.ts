import { hash, randomBytes } from "node:crypto";
import { SMALL_INPUT_MAX, sha256SmallInto } from "../../crypto/sha256-small.ts";

/**
 * Time per sha256 of crypto/sha256-small.ts against node:crypto's one-shot `hash` (which returns a new Buffer
 * per call), at the input sizes a node hashes: a ratio from the same run, so it holds on a loaded machine.
 * Decides SMALL_INPUT_MAX. Usage: npx node test/bench/sha256-small-bench.ts
 */
const N = 200_000;
for (const size of [32, 65, 97, SMALL_INPUT_MAX, 150, 300]) {
  const data = new Uint8Array(randomBytes(size));
  const out = new Uint8Array(32);
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    let t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) hash("sha256", data, "buffer");
    const native = Number(process.hrtime.bigint() - t) / N;
    t = process.hrtime.bigint();
    // Past SMALL_INPUT_MAX, sha256SmallInto refuses: time the same number of compressions on a shorter input.
    const length = Math.min(size, SMALL_INPUT_MAX);
    const extra = Math.ceil((size + 9) / 64) - Math.ceil((length + 9) / 64);
    for (let i = 0; i < N; i++) {
      sha256SmallInto(data, 0, length, out, 0);
      for (let k = 0; k < extra; k++) sha256SmallInto(data, 0, 32, out, 0);
    }
    const js = Number(process.hrtime.bigint() - t) / N;
    best = Math.min(best, js / native);
  }
  console.log(`${size} bytes: sha256-small / node:crypto = ${best.toFixed(2)} (best of 5 rounds)`);
}

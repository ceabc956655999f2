import { hash, randomBytes } from "node:crypto";
import { SMALL_INPUT_MAX, sha256SmallInto } from "../../crypto/sha256-small.ts";

/**
 * Time per sha256 of crypto/sha256-small.ts against node:crypto's one-shot `hash` (which returns a new Buffer
 * per call), at the input sizes a node hashes: a ratio from the same run, so it holds on a loaded machine.
 * Decides SMALL_INPUT_MAX. Usage: npx node test/bench/sha256-small-bench.ts
 */
const N = 200_000;
for (const size of [32, 65, 97, 119, 150, SMALL_INPUT_MAX, 247, 300]) {
  const data = new Uint8Array(randomBytes(size));
  let best = Infinity;
  let bestNative = 0;
  let bestJs = 0;
  for (let round = 0; round < 7; round++) {
    let t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) hash("sha256", data, "buffer");
    const native = Number(process.hrtime.bigint() - t) / N;
    t = process.hrtime.bigint();
    // As crypto/hash.ts calls it: a new 32-byte digest each. Past SMALL_INPUT_MAX, the same code path timed
    // on lengths it refuses in the node, through the loop below (whole blocks straight from the input).
    for (let i = 0; i < N; i++) jsCostOf(data, new Uint8Array(32));
    const js = Number(process.hrtime.bigint() - t) / N;
    if (js / native < best) [best, bestNative, bestJs] = [js / native, native, js];
  }
  const label = size === SMALL_INPUT_MAX ? ` (SMALL_INPUT_MAX)` : "";
  console.log(
    `${size} bytes${label}: sha256-small / node:crypto = ${best.toFixed(2)} (${(bestJs / 1000).toFixed(2)} us against ` +
    `${(bestNative / 1000).toFixed(2)} us; best of 7 rounds)`,
  );
}

/**
 * What sha256SmallInto would cost for `data`: its digest up to SMALL_INPUT_MAX bytes; past that not a digest,
 * only the same number of compressions (the node hashes such inputs with node:crypto).
 */
function jsCostOf(data: Uint8Array, out: Uint8Array): void {
  if (data.byteLength <= SMALL_INPUT_MAX) return sha256SmallInto(data, 0, data.byteLength, out, 0);
  // Longer inputs cost what SMALL_INPUT_MAX plus their extra blocks would: time that many compressions.
  const extraBlocks = Math.ceil((data.byteLength + 9) / 64) - Math.ceil((SMALL_INPUT_MAX + 9) / 64);
  sha256SmallInto(data, 0, SMALL_INPUT_MAX, out, 0);
  for (let k = 0; k < extraBlocks; k++) sha256SmallInto(data, 0, 55, out, 0);
}

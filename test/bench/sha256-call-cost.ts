/**
 * The CPU of one sha256 call on the small inputs the node hashes (tx hashes and sign bytes ~150-200 bytes,
 * tree nodes 65-97, keys 32), node:crypto's one-shot hash against @noble/hashes' pure-JS sha256, in the same
 * process, alternated, the least of 5 rounds each (load from other processes only adds). Prints noble / node
 * per size: above 1, node:crypto is the cheaper call.
 *
 *   npm exec -- node test/bench/sha256-call-cost.ts [--calls 200000]
 */
import { hash } from "node:crypto";
import { parseArgs } from "node:util";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";

const { values: args } = parseArgs({ options: { calls: { type: "string", default: "200000" } } });
const CALLS = Number(args.calls);
const SIZES = [32, 65, 97, 150, 200];

function cpuPerCall(run: () => void): number {
  const t = process.cpuUsage();
  run();
  const used = process.cpuUsage(t);
  return (used.user + used.system) / CALLS;
}

for (const size of SIZES) {
  const input = new Uint8Array(size).fill(7);
  let node = Number.POSITIVE_INFINITY;
  let noble = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    node = Math.min(node, cpuPerCall(() => { for (let i = 0; i < CALLS; i++) hash("sha256", input, "buffer"); }));
    noble = Math.min(noble, cpuPerCall(() => { for (let i = 0; i < CALLS; i++) nobleSha256(input); }));
  }
  console.log(`${size} bytes: node:crypto ${node.toFixed(3)} us, noble ${noble.toFixed(3)} us, noble / node ${(noble / node).toFixed(2)}`);
}

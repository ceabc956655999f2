/**
 * The CPU of one sha256 call on the small inputs the node hashes (tx hashes and sign bytes ~150-200 bytes,
 * tree nodes 65-97, keys 32), node:crypto's one-shot hash against @noble/hashes' pure-JS sha256 and libsodium's
 * crypto_hash_sha256 (into one reused 32-byte array, the input a view of a larger array off V8's heap, as the
 * verify workers hash sign bytes: crypto/verify-worker.js), in the same process, alternated, the least of 5
 * rounds each (load from other processes only adds). Prints noble / node and sodium / node per size: above 1,
 * node:crypto is the cheaper call.
 *
 *   npm exec -- node test/bench/sha256-call-cost.ts [--calls 200000]
 */
import { hash } from "node:crypto";
import { parseArgs } from "node:util";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import sodium from "sodium-native";

const { values: args } = parseArgs({ options: { calls: { type: "string", default: "200000" } } });
const CALLS = Number(args.calls);
const SIZES = [32, 65, 97, 150, 200];

function cpuPerCall(run: () => void): number {
  const t = process.cpuUsage();
  run();
  const used = process.cpuUsage(t);
  return (used.user + used.system) / CALLS;
}

const digest = new Uint8Array(32);
const records = new Uint8Array(64 * 1024).fill(7);

for (const size of SIZES) {
  const input = new Uint8Array(size).fill(7);
  const inRecords = records.subarray(101, 101 + size);
  let node = Number.POSITIVE_INFINITY;
  let noble = Number.POSITIVE_INFINITY;
  let libsodium = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    node = Math.min(node, cpuPerCall(() => { for (let i = 0; i < CALLS; i++) hash("sha256", input, "buffer"); }));
    noble = Math.min(noble, cpuPerCall(() => { for (let i = 0; i < CALLS; i++) nobleSha256(input); }));
    const hashIntoDigest = () => sodium.crypto_hash_sha256(digest, inRecords);
    libsodium = Math.min(libsodium, cpuPerCall(() => { for (let i = 0; i < CALLS; i++) hashIntoDigest(); }));
  }
  console.log(
    `${size} bytes: node:crypto ${node.toFixed(3)} us, noble ${noble.toFixed(3)} us, libsodium ${libsodium.toFixed(3)} us, ` +
    `noble / node ${(noble / node).toFixed(2)}, libsodium / node ${(libsodium / node).toFixed(2)}`,
  );
}

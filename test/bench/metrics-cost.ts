/**
 * What the node's metrics cost where they are collected, in units of an ed25519 verify measured in the same
 * run (absolute times mean nothing on a shared machine): an RPC call's observation (the dispatcher's
 * CallObserver, once per call: tx_submit is once per tx), a committed block's, and a whole /metrics
 * rendering. Run: npx node test/bench/metrics-cost.ts
 */
import { generateSecretKey, publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import { sha256 } from "../../crypto/hash.ts";
import { NodeMetrics } from "../../node/metrics.ts";
import { allMethods } from "../../rpc/methods/index.ts";
import { referenceVerify } from "./reference-verify.ts";

function perOp(n: number, op: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 1000); i++) op(i); // warm up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) op(i);
  return (performance.now() - t0) / n;
}

async function perAsyncOp(n: number, op: () => Promise<unknown>): Promise<number> {
  await op();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await op();
  return (performance.now() - t0) / n;
}

const key = generateSecretKey();
const pub = publicKeyOf(key);
const msg = sha256(new Uint8Array([1, 2, 3]));
const sig = signPortable(msg, key);
const verifyMs = perOp(2000, () => referenceVerify(msg, sig, pub));
const shaMs = perOp(200_000, (i) => sha256(new Uint8Array([i & 255])));

const metrics = new NodeMetrics({
  rpcMethods: allMethods.map((m) => m.name),
  sources: {
    height: () => 100,
    lastBlockTimeMs: () => Date.now(),
    round: () => 0,
    mempool: () => ({ txs: 10, bytes: 2000 }),
    connections: () => [{ peer: "a", direction: "inbound" }, { peer: "b", direction: "outbound" }],
    catchingUp: () => false,
    bestPeerHeight: () => 100,
    verifyPending: () => 0,
    verifySignatures: () => 0,
    verifyMessages: () => 0,
  },
});
const callMs = perOp(500_000, (i) => metrics.called(i % 7 === 0 ? "no_such" : "tx_submit", 0.0004, true));
let height = 101;
const block = () => ({ height: height++, hash: msg, timeMs: height * 1e3, numTxs: 500, txs: [], round: 0, batchMs: 3 });
const blockMs = perOp(100_000, () => metrics.blockCommitted(block()));
// Every method called, so the rendering holds every series it can have.
for (const m of allMethods) metrics.called(m.name, 0.001, true);
const renderMs = await perAsyncOp(200, () => metrics.exposition());
const bytes = Buffer.byteLength((await metrics.exposition()).body);

const r = (ms: number) => (ms / verifyMs).toFixed(4);
console.log(`ed25519 verify: 1 (${(verifyMs * 1000).toFixed(1)} us); sha256 of 1 byte: ${r(shaMs)} verifies`);
console.log(`RPC call observed: ${r(callMs)} verifies (${(callMs / shaMs).toFixed(1)} sha256)`);
console.log(`block committed observed: ${r(blockMs)} verifies`);
console.log(`GET /metrics rendered (${bytes} bytes, every RPC method called): ${r(renderMs)} verifies`);

/**
 * Proof costs, as ratios measured in one run (absolute rates mean little on a shared machine):
 *   1. the in-memory tree (state/smt.ts): proofs made per second and proofs checked per second (the test-only
 *      verifier written from the contract), each against sha256 calls per second (64-byte inputs, an inner
 *      node's) measured just before;
 *   2. over HTTP on a real in-process node: state_getProof { account } calls per second against account_get
 *      calls per second (the same addresses, in batches of 100), interleaved twice.
 * Run: npx node test/bench/proof-bench.ts [entries=200000]
 */
import { sha256 } from "../../crypto/hash.ts";
import { SparseMerkleTree, treePath, valueHash } from "../../state/smt.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { startTestChain } from "../helpers/in-process-node.ts";
import { stateProofFailure } from "../helpers/verify-state-proof.ts";

const ENTRIES = Number(process.argv[2] ?? 200_000);
const PROBES = 50_000;

function rate(fn: (i: number) => void, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return n / ((performance.now() - t0) / 1000);
}

const keyOf = (i: number) => new TextEncoder().encode(`key-${i}`);
const valueOf = (i: number) => new TextEncoder().encode(`value-${i}`);

const tree = SparseMerkleTree.fromEntries(
  Array.from({ length: ENTRIES }, (_, i) => ({ path: treePath(keyOf(i)), valueHash: valueHash(valueOf(i)) })),
);
const root = tree.rootHash;
const input = new Uint8Array(64);
const hashes = rate(() => sha256(input), 500_000);
const probe = (i: number) => (i * 7919) % ENTRIES;
const proofs = Array.from({ length: PROBES }, (_, i) => tree.prove(treePath(keyOf(probe(i)))));
const proves = rate((i) => tree.prove(treePath(keyOf(probe(i)))), PROBES);
const verifies = rate((i) => {
  if (stateProofFailure(root, keyOf(probe(i)), valueOf(probe(i)), proofs[i]) !== undefined) throw new Error("bad proof");
}, PROBES);
const depth = proofs.reduce((t, p) => t + p.siblings.length, 0) / PROBES;
console.log(`tree of ${ENTRIES} entries, mean proof depth ${depth.toFixed(1)} siblings`);
console.log(`sha256 (64 B): ${Math.round(hashes)}/s`);
console.log(`prove:  ${Math.round(proves)}/s = ${(proves / hashes).toFixed(4)} x sha256/s`);
console.log(`verify: ${Math.round(verifies)}/s = ${(verifies / hashes).toFixed(4)} x sha256/s`);

const chain = await startTestChain({ blockIntervalMs: 1000 });
try {
  await chain.waitForHeight(1);
  const addresses = Array.from({ length: 100 }, () => new TestAccount().bech32);
  addresses[0] = chain.faucet.bech32;
  const BATCHES = 20;
  const rpcRate = async (method: string, params: (a: string) => Record<string, unknown>) => {
    const t0 = performance.now();
    for (let i = 0; i < BATCHES; i++) {
      const replies = await chain.rpc.batch(addresses.map((a) => ({ method, params: params(a) })));
      const failed = replies.find((r) => r.error !== undefined);
      // A block may commit between a get's read and its proof only with awaits between them; there are none.
      if (failed !== undefined) throw new Error(`${method}: ${JSON.stringify(failed.error)}`);
    }
    return (BATCHES * addresses.length) / ((performance.now() - t0) / 1000);
  };
  // A first pass of each warms the JIT and the header cache; it is not counted.
  await rpcRate("account_get", (a) => ({ address: a }));
  await rpcRate("state_getProof", (a) => ({ key: { account: a } }));
  for (let round = 1; round <= 2; round++) {
    const gets = await rpcRate("account_get", (a) => ({ address: a }));
    const proved = await rpcRate("state_getProof", (a) => ({ key: { account: a } }));
    console.log(
      `round ${round}: account_get ${Math.round(gets)}/s, state_getProof ${Math.round(proved)}/s ` +
      `= ${(proved / gets).toFixed(3)} x account_get`,
    );
  }
} finally {
  await chain.stop();
}

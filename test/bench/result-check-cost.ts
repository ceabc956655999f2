/**
 * What checking every RPC result against its schema costs (OPL_CHECK_RPC_RESULTS=1, which vitest.config.ts sets
 * for every test), as ratios measured in the same run (absolute times mean nothing on a shared machine): for a
 * few answers of a real node, the check against the JSON.stringify the dispatcher does to every answer anyway,
 * and against the whole call over HTTP (with the check off). Run: npx node test/bench/result-check-cost.ts
 */
import { toBase64 } from "../../crypto/bytes.ts";
import type { RpcMethod } from "../../rpc/method.ts";
import { allMethods } from "../../rpc/methods/index.ts";
import { buildTx } from "../../rpc/tx-builder.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { startTestChain } from "../helpers/in-process-node.ts";

process.env.OPL_CHECK_RPC_RESULTS = "0"; // the calls timed below are the node's without the check

function perOp(n: number, op: () => unknown): number {
  for (let i = 0; i < Math.min(n, 200); i++) op(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) op();
  return (performance.now() - t0) / n;
}

async function perCall(n: number, op: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await op();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await op();
  return (performance.now() - t0) / n;
}

const chain = await startTestChain({ blockIntervalMs: 200 });
try {
  // 100 transfers from one sender: a block with txs, and a search page of 100.
  const faucet = chain.faucet;
  const to = new TestAccount();
  let last = "";
  for (let i = 0; i < 100; i++) {
    const msg = { type: "transfer" as const, to: to.address, amount: 1n };
    const fee = DEFAULT_PARAMS.minFee;
    const body = { chainId: chain.chainId, publicKey: faucet.publicKey, nonce: faucet.nonce++, fee, msg };
    const tx = toBase64(buildTx(body, (m) => faucet.sign(m)).bytes);
    last = (await chain.rpc.call<{ hash: string }>("tx_submit", { tx })).hash;
  }
  for (let i = 0; ; i++) {
    try {
      await chain.rpc.call("tx_get", { hash: last });
      break;
    } catch {
      if (i > 200) throw new Error("the transfers were not included");
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const { height } = await chain.rpc.call<{ height: number }>("tx_get", { hash: last });
  const byName = new Map((allMethods as readonly RpcMethod[]).map((m) => [m.name, m]));
  const cases: [string, Record<string, unknown>][] = [
    ["node_getStatus", {}],
    ["account_get", { address: faucet.bech32, prove: true }],
    ["chain_getBlock", { height, txs: "full" }],
    ["tx_search", { address: to.bech32, limit: 100 }],
    ["staking_getValidators", {}],
  ];
  console.log("method                  bytes  check/stringify  check/call");
  for (const [name, params] of cases) {
    const result = await chain.rpc.call(name, params);
    const schema = (byName.get(name) as RpcMethod).result;
    if (!schema.safeParse(result).success) throw new Error(`${name}'s result does not match its schema`);
    const checkMs = perOp(500, () => schema.safeParse(result));
    const stringifyMs = perOp(500, () => JSON.stringify(result));
    const callMs = await perCall(100, () => chain.rpc.call(name, params));
    const bytes = JSON.stringify(result).length;
    console.log(
      `${name.padEnd(22)} ${String(bytes).padStart(7)}  ${(checkMs / stringifyMs).toFixed(2).padStart(15)}  ` +
      `${(checkMs / callMs).toFixed(3).padStart(10)}`,
    );
  }
} finally {
  await chain.stop();
}

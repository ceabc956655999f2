import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64 } from "../../crypto/bytes.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/** tx_simulate on a real node: nothing written or admitted, and its state reads charged to the request budget. */
const MAX_REQUEST_WORK = 100;
let chain: TestChain;

beforeAll(async () => {
  chain = await startTestChain({ rpc: { max_request_work: MAX_REQUEST_WORK } });
  await chain.waitForHeight(1);
});

afterAll(async () => {
  await chain?.stop();
});

interface Simulation {
  code: number;
  reason: string;
  includable: boolean;
  events: { type: string }[];
}

describe("tx_simulate", () => {
  it("admits nothing and writes nothing; the same tx then submits as simulated", async () => {
    const to = new TestAccount();
    const { nonce } = await chain.rpc.call<{ nonce: number }>("account_get", { address: chain.faucet.bech32 });
    chain.faucet.nonce = nonce;
    const tx = chain.faucet.transfer(chain.chainId, to.address, 5n, 10n ** 15n);
    const simulated = await chain.rpc.call<Simulation>("tx_simulate", { tx: toBase64(tx.bytes) });
    expect(simulated).toMatchObject({ code: 0, reason: "OK", includable: true });
    expect(simulated.events.map((e) => e.type)).toEqual(["fee", "transfer"]);
    expect(chain.node.mempool.size).toBe(0);
    const height = chain.node.app.info().height;
    await chain.waitForHeight(height + 1);
    expect(await chain.rpc.call("account_get", { address: to.bech32 })).toMatchObject({ balance: "0" });

    // The very bytes it simulated are still new to the chain: the same nonce submits and lands.
    const { hash } = await chain.rpc.call<{ hash: string }>("tx_submit", { tx: toBase64(tx.bytes) });
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("counts the state keys it reads against rpc.max_request_work: a batch of many runs out", async () => {
    const to = new TestAccount();
    const sender = new TestAccount(); // unfunded: each simulation still reads its account and stops at the fee
    // Each reads at least the sender's account: twice the budget's count of calls cannot all be answered.
    const calls = Array.from({ length: 2 * MAX_REQUEST_WORK }, (_, i) => ({
      method: "tx_simulate",
      params: { tx: toBase64(sender.transfer(chain.chainId, to.address, 1n, 10n ** 15n, { nonce: i }).bytes) },
    }));
    const replies = await chain.rpc.batch(calls);
    const answered = replies.filter((r) => r.result !== undefined) as { result: Simulation }[];
    const refused = replies.filter((r) => r.error !== undefined);
    expect(answered.length).toBeGreaterThan(0);
    expect(answered[0].result).toMatchObject({ includable: false, reason: "INSUFFICIENT_FUNDS" });
    // Nonce 1 could wait behind a gap in the mempool, so tx_submit (and tx_simulate) refuse it for its funds too.
    expect(answered[1].result).toMatchObject({ includable: false, reason: "INSUFFICIENT_FUNDS" });
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0].error).toMatchObject({ data: { reason: "WORK_LIMIT_EXCEEDED" } });
    expect(answered.length).toBeLessThanOrEqual(MAX_REQUEST_WORK);
  });
});

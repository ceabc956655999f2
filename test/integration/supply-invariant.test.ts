import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeAddress } from "../../crypto/address.ts";
import { toBase64 } from "../../crypto/bytes.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { Rng } from "../sim/rng.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { waitFor } from "../helpers/tmp.ts";

const FEE = DEFAULT_PARAMS.minFee;
let chain: TestChain;

beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 50 });
});
afterAll(async () => {
  await chain?.stop();
});

describe("supply conservation over a randomized transfer workload", () => {
  it("the sum of all balances equals the total supply after every block", async () => {
    const rng = new Rng(42); // a deterministic workload: a failure replays
    const random = () => rng.next();
    const accounts = Array.from({ length: 6 }, () => new TestAccount());
    const proposer = encodeAddress(chain.node.genesis.validators[0].address);
    const everyone = [chain.faucet.bech32, proposer, ...accounts.map((a) => a.bech32)];
    const startHeight = chain.node.app.info().height;

    // Fund everyone, then fire random transfers between them (some overspend and fail in the mempool).
    for (const a of accounts) {
      const t = chain.faucet.transfer(chain.chainId, a.address, 1000n * FEE, FEE);
      await chain.rpc.call("tx_submit", { tx: toBase64(t.bytes) });
    }
    await waitFor("funding", () => (chain.node.mempool.size === 0 ? true : undefined));
    // Random transfers, submitted one by one; some overspend and are refused, and then leave the nonce unused.
    let accepted = 0;
    let refused = 0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 30; i++) {
        const from = accounts[Math.floor(random() * accounts.length)];
        const to = accounts[Math.floor(random() * accounts.length)];
        const amount = BigInt(Math.floor(random() * 400) + 1) * FEE;
        const t = from.transfer(chain.chainId, to.address, amount, FEE);
        try {
          await chain.rpc.call("tx_submit", { tx: toBase64(t.bytes) });
          accepted++;
        } catch {
          from.nonce--;
          refused++;
        }
      }
      await waitFor("mempool drained", () => (chain.node.mempool.size === 0 ? true : undefined));
    }
    expect(refused).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(50);

    const endHeight = chain.node.app.info().height;
    expect(endHeight - startHeight).toBeGreaterThan(3);
    for (let h = startHeight; h <= endHeight; h++) {
      // The supply is in balances and in what the modules hold (at genesis: the validator's self-stake).
      const breakdown = await chain.rpc.call<{ total: string; balances: string; bonded: string }>(
        "bank_getSupply",
        { height: h },
      );
      expect(BigInt(breakdown.bonded)).toBeGreaterThan(0n);
      let sum = 0n;
      for (const address of everyone) {
        sum += BigInt(
          (await chain.rpc.call<{ balance: string }>("account_get", { address, height: h })).balance,
        );
      }
      expect(sum, `height ${h}`).toBe(BigInt(breakdown.balances));
    }
  });
});

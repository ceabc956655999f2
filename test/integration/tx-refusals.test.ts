import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64 } from "../../crypto/bytes.ts";
import { RpcError } from "../../rpc/errors.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { waitFor } from "../helpers/tmp.ts";

const FEE = DEFAULT_PARAMS.minFee;
let chain: TestChain;
const alice = new TestAccount();
const bob = new TestAccount();

async function submit(bytes: Uint8Array): Promise<string> {
  return (await chain.rpc.call<{ hash: string }>("tx_submit", { tx: toBase64(bytes) })).hash;
}

async function included(hash: string): Promise<{ height: number; result: { code: number } }> {
  return waitFor(`tx ${hash} included`, async () => {
    try {
      return await chain.rpc.call<{ height: number; result: { code: number } }>("tx_get", { hash });
    } catch (err) {
      if (err instanceof RpcError && err.code === 2002) return undefined;
      throw err;
    }
  });
}

async function refusal(bytes: Uint8Array): Promise<RpcError> {
  try {
    await submit(bytes);
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error("the node accepted a transaction it should have refused");
}

async function snapshot() {
  const [a, b, supply] = await Promise.all([
    chain.rpc.call<{ balance: string; nonce: number }>("account_get", { address: alice.bech32 }),
    chain.rpc.call<{ balance: string; nonce: number }>("account_get", { address: bob.bech32 }),
    chain.rpc.call<{ total: string }>("bank_getSupply"),
  ]);
  const status = await chain.rpc.call<{ latestHeight: number }>("node_getStatus");
  const block = await chain.rpc.call<{ header: { stateRoot: string } }>("chain_getBlock", {
    height: status.latestHeight,
  });
  return {
    alice: { balance: a.balance, nonce: a.nonce },
    bob: { balance: b.balance, nonce: b.nonce },
    supply: supply.total,
    stateRoot: block.header.stateRoot,
  };
}

beforeAll(async () => {
  chain = await startTestChain();
  const fund = chain.faucet.transfer(chain.chainId, alice.address, 1000n * FEE, FEE);
  await included(await submit(fund.bytes));
  const first = alice.transfer(chain.chainId, bob.address, 10n * FEE, FEE);
  await included(await submit(first.bytes));
});
afterAll(async () => {
  await chain?.stop();
});

describe("refused transactions change nothing and the node keeps serving", () => {
  it("refuses each bad transaction with a clear error", async () => {
    const before = await snapshot();
    const to = bob.address;
    const valid = alice.transfer(chain.chainId, to, FEE, FEE, { nonce: alice.nonce });
    const badSig = valid.bytes.slice();
    badSig[badSig.length - 5] ^= 0x40;

    const replayed = alice.transfer(chain.chainId, to, 10n * FEE, FEE, { nonce: 0 }); // same as the included one
    const cases: { name: string; bytes: Uint8Array; code: number; message: RegExp }[] = [
      { name: "replay", bytes: replayed.bytes, code: 1012, message: /already included at height \d+/ },
      {
        name: "wrong chain id",
        bytes: alice.transfer("another-chain", to, FEE, FEE, { nonce: alice.nonce }).bytes,
        code: 1004,
        message: /for chain "another-chain", this is "opl-test-1"/,
      },
      { name: "bad signature", bytes: badSig, code: 1005, message: /signature does not match/ },
      {
        name: "nonce too low",
        bytes: alice.transfer(chain.chainId, to, 2n * FEE, FEE, { nonce: 0 }).bytes,
        code: 1006,
        message: /nonce 1 expected, got 0/,
      },
      {
        name: "nonce too high",
        bytes: alice.transfer(chain.chainId, to, FEE, FEE, { nonce: 5000 }).bytes,
        code: 1007,
        message: /nonce 5000 is too far ahead/,
      },
      {
        name: "garbage",
        bytes: new TextEncoder().encode("definitely not a tx"),
        code: 1003,
        message: /not valid protobuf|not canonically/,
      },
      {
        name: "truncated",
        bytes: valid.bytes.subarray(0, valid.bytes.length - 20),
        code: 1003,
        message: /transaction rejected/,
      },
      {
        name: "overspend",
        bytes: alice.transfer(chain.chainId, to, 10_000n * FEE, FEE, { nonce: alice.nonce }).bytes,
        code: 1010,
        message: /insufficient funds/,
      },
      {
        name: "fee below minimum",
        bytes: alice.transfer(chain.chainId, to, FEE, FEE - 1n, { nonce: alice.nonce }).bytes,
        code: 1009,
        message: /below the minimum fee/,
      },
    ];
    for (const c of cases) {
      const err = await refusal(c.bytes);
      expect(err.code, c.name).toBe(c.code);
      expect(err.message, c.name).toMatch(c.message);
      expect((err.data as { reason: string }).reason, c.name).toMatch(/^[A-Z_]+$/);
    }
    const nodeStatus = await chain.rpc.call<{ latestHeight: number; mempoolSize: number }>("node_getStatus");
    expect(nodeStatus.mempoolSize).toBe(0);
    // Blocks kept coming; state did not move.
    await chain.waitForHeight(nodeStatus.latestHeight + 2);
    const after = await snapshot();
    expect(after).toEqual(before);

    // The node still serves and still includes a good transaction.
    const hash = await submit(valid.bytes);
    alice.nonce++;
    const done = await included(hash);
    expect(done.result.code).toBe(0);
  });
});

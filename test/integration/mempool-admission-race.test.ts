import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64 } from "../../crypto/bytes.ts";
import type { BatchReply } from "../../rpc/client.ts";
import { RpcError } from "../../rpc/errors.ts";
import { TX_ERRORS } from "../../state/errors.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { waitFor } from "../helpers/tmp.ts";

const FEE = DEFAULT_PARAMS.minFee;
let chain: TestChain;
const alice = new TestAccount();

const submitCall = (bytes: Uint8Array) => ({ method: "tx_submit", params: { tx: toBase64(bytes) } });
const admitted = (replies: BatchReply[]) => replies.filter((r) => r.error === undefined);
const rpcCode = (code: keyof typeof TX_ERRORS) => 1000 + TX_ERRORS[code];

async function included(hash: string): Promise<void> {
  await waitFor(`tx ${hash} included`, async () => {
    try {
      return await chain.rpc.call("tx_get", { hash });
    } catch (err) {
      if (err instanceof RpcError && err.code === 2002) return undefined; // not found (yet)
      throw err;
    }
  });
}

/** The mempool's own byte count against the bytes of what it holds, and what it holds against its size. */
function mempoolBooks() {
  const held = chain.node.mempool.all();
  return {
    size: chain.node.mempool.size,
    held: held.length,
    totalBytes: chain.node.mempool.totalBytes,
    sumOfEntries: held.reduce((n, tx) => n + tx.bytes.byteLength, 0),
  };
}

beforeAll(async () => {
  // Blocks far apart, so every batch below lands in one mempool before anything commits.
  chain = await startTestChain({ blockIntervalMs: 1500 });
  const fund = chain.faucet.transfer(chain.chainId, alice.address, 10_000n * FEE, FEE);
  const { hash } = await chain.rpc.call<{ hash: string }>("tx_submit", { tx: toBase64(fund.bytes) });
  await included(hash);
});
afterAll(async () => {
  await chain?.stop();
});

describe("one JSON-RPC batch cannot race the mempool's admission", () => {
  it("admits exactly one of 100 copies of a tx, and exactly one of two txs with the same nonce", async () => {
    const to = new TestAccount().address;
    const tx = alice.transfer(chain.chainId, to, FEE, FEE);
    const copies = await chain.rpc.batch(Array.from({ length: 100 }, () => submitCall(tx.bytes)));
    expect(admitted(copies)).toHaveLength(1);
    const refusedCodes = new Set(copies.filter((r) => r.error !== undefined).map((r) => r.error?.code));
    expect([...refusedCodes]).toEqual([rpcCode("ALREADY_KNOWN")]);

    const nonce = alice.nonce;
    const first = alice.transfer(chain.chainId, to, FEE, FEE, { nonce });
    const second = alice.transfer(chain.chainId, to, 2n * FEE, FEE, { nonce });
    const pair = await chain.rpc.batch([submitCall(first.bytes), submitCall(second.bytes)]);
    expect(admitted(pair)).toHaveLength(1);
    expect(pair.find((r) => r.error !== undefined)?.error?.code).toBe(rpcCode("NONCE_PENDING"));
    alice.nonce++;

    const books = mempoolBooks();
    expect(books.held).toBe(books.size);
    expect(books.totalBytes).toBe(books.sumOfEntries);
  });

  it("keeps its byte count true over many such batches, so it never claims to be full while empty", async () => {
    const to = new TestAccount().address;
    for (let round = 0; round < 5; round++) {
      const tx = alice.transfer(chain.chainId, to, FEE, FEE);
      const replies = await chain.rpc.batch(Array.from({ length: 50 }, () => submitCall(tx.bytes)));
      expect(admitted(replies)).toHaveLength(1);
      const books = mempoolBooks();
      expect(books.totalBytes).toBe(books.sumOfEntries);
    }
    await waitFor("the mempool to empty", () => (chain.node.mempool.size === 0 ? true : undefined));
    expect(chain.node.mempool.totalBytes).toBe(0);
    const after = alice.transfer(chain.chainId, to, FEE, FEE);
    await chain.rpc.call("tx_submit", { tx: toBase64(after.bytes) });
  });
});

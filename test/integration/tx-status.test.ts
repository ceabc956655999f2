import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64, toHex } from "../../crypto/bytes.ts";
import type { BuiltTx } from "../../rpc/tx-builder.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/**
 * tx_getStatus over real HTTP on a real node: a tx followed from pending (behind a nonce gap, with that reason)
 * to included; a tx the mempool's TTL evicted; a hash nobody sent.
 */
const FEE = DEFAULT_PARAMS.minFee;
/** Blocks a tx may wait in this node's mempool: small, so a gapped tx is evicted within a second or two. */
const TTL_BLOCKS = 8;
let chain: TestChain;

interface Status {
  hash: string;
  status: "pending" | "included" | "rejected" | "evicted" | "unknown";
  reason?: string;
  message?: string;
  height?: number;
  index?: number;
  code?: number;
}

beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 100, mempool: { ttl_blocks: TTL_BLOCKS } });
}, 30_000);

afterAll(async () => {
  await chain?.stop();
});

const status = (hash: string) => chain.rpc.call<Status>("tx_getStatus", { hash });
const submit = async (tx: BuiltTx) =>
  (await chain.rpc.call<{ hash: string }>("tx_submit", { tx: toBase64(tx.bytes) })).hash;

/** Polls tx_getStatus until `done` holds (a deadline, not a sleep, decides failure). */
async function statusUntil(hash: string, done: (s: Status) => boolean, timeoutMs = 10_000): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(hash);
    if (done(s)) return s;
    if (Date.now() > deadline) throw new Error(`status of ${hash} still ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A fresh account funded by the faucet (included before this returns). */
async function funded(): Promise<TestAccount> {
  const account = new TestAccount();
  const hash = await submit(chain.faucet.transfer(chain.chainId, account.address, 10n * ONE_OPEN, FEE));
  await statusUntil(hash, (s) => s.status === "included");
  return account;
}

describe("tx_getStatus", () => {
  it("follows a tx from pending behind a nonce gap (saying so) to included, with height, index and code", async () => {
    const alice = await funded();
    const bob = new TestAccount();
    const second = alice.transfer(chain.chainId, bob.address, 2n, FEE, { nonce: 1 });
    const secondHash = await submit(second);
    const pending = await status(secondHash);
    expect(pending).toMatchObject({ hash: secondHash, status: "pending", reason: "NONCE_GAP" });
    expect(pending.message).toMatch(/nonce 0 is missing/);

    const first = alice.transfer(chain.chainId, bob.address, 1n, FEE, { nonce: 0 });
    const firstHash = await submit(first);
    const included = await statusUntil(secondHash, (s) => s.status !== "pending");
    expect(included).toMatchObject({ status: "included", code: 0, reason: "OK" });
    expect(included.height).toBeGreaterThan(0);
    const tx = await chain.rpc.call<{ height: number; index: number }>("tx_get", { hash: secondHash });
    expect(included).toMatchObject({ height: tx.height, index: tx.index });
    expect((await statusUntil(firstHash, (s) => s.status === "included")).height).toBeLessThanOrEqual(tx.height);
  });

  it("reports a tx the mempool's TTL evicted, with when and why", async () => {
    const carol = await funded();
    const gapped = carol.transfer(chain.chainId, chain.faucet.address, 1n, FEE, { nonce: 3 });
    const admittedAt = chain.node.app.info().height; // read before: it is admitted at this height or later
    const hash = await submit(gapped);
    expect((await status(hash)).status).toBe("pending");
    const evicted = await statusUntil(hash, (s) => s.status !== "pending");
    expect(evicted).toMatchObject({ status: "evicted", reason: "TTL" });
    expect(evicted.message).toMatch(/TTL/);
    expect(evicted.height).toBeGreaterThanOrEqual(admittedAt + TTL_BLOCKS);
  });

  it("answers unknown for a hash it never saw, and refuses a malformed hash", async () => {
    const never = toHex(new Uint8Array(32).fill(7));
    expect(await status(never)).toEqual({ hash: never, status: "unknown" });
    await expect(chain.rpc.call("tx_getStatus", { hash: "xyz" })).rejects.toThrow(/hash/);
  });
});

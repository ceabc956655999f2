import { afterAll, beforeAll, expect, it } from "vitest";
import { toBase64 } from "../../crypto/bytes.ts";
import type { BuiltTx } from "../../rpc/tx-builder.ts";
import { CLOSE_CODES, MIN_QUEUE_BYTES } from "../../rpc/ws/limits.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { type Notified, TestWsClient } from "../helpers/ws-client.ts";

/**
 * A subscriber that never reads is cut off (4008, with the cursor to resume from) while another subscriber
 * keeps receiving and blocks keep coming at the same pace: the block interval measured with the stuck client
 * is that without it (within 1.2x). It then resumes from the cursor and misses nothing.
 *
 * The stuck client must be sent more than the kernel's socket buffers hold (~4 MB on loopback) before the
 * node's own queue for it fills: the history it replays is 600 contributions of ~12 KB each as notifications.
 */
const FEE = DEFAULT_PARAMS.minFee;
const BLOCK_MS = 300;
const STALL_MS = 3000;
let chain: TestChain;
const clients: TestWsClient[] = [];

beforeAll(async () => {
  chain = await startTestChain({
    blockIntervalMs: BLOCK_MS,
    rpc: { idle_timeout_ms: STALL_MS },
    ws: { queue_bytes: MIN_QUEUE_BYTES },
  });
}, 30_000);

afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await chain?.stop();
});

async function connect(): Promise<TestWsClient> {
  const c = await TestWsClient.connect(chain.node.rpc.url);
  clients.push(c);
  return c;
}

async function submitAll(txs: BuiltTx[]): Promise<void> {
  for (let i = 0; i < txs.length; i += 100) {
    const replies = await chain.rpc.batch(
      txs.slice(i, i + 100).map((t) => ({ method: "tx_submit", params: { tx: toBase64(t.bytes) } })),
    );
    const refused = replies.find((r) => r.error !== undefined);
    if (refused !== undefined) throw new Error(`tx refused: ${refused.error?.message}`);
  }
}

async function committedAll(address: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const acct = await chain.rpc.call<{ nonce: number }>("account_get", { address });
    if (acct.nonce >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${acct.nonce} of ${count} txs of ${address} committed`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every tx hash tx_search finds for a filter, in chain order. */
async function searchAll(filter: Record<string, unknown>): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await chain.rpc.call<{ items: { hash: string }[]; cursor: string | null; done: boolean }>(
      "tx_search",
      { ...filter, limit: 100, ...(cursor === undefined ? {} : { cursor }) },
    );
    out.push(...page.items.map((i) => i.hash));
    if (page.cursor !== null) cursor = page.cursor;
    if (page.done) return out;
  }
}

/** Mean time between consecutive blocks, from their header times. */
function meanInterval(blocks: Notified[]): number {
  const t = blocks.map((b) => Date.parse(b.time as string));
  return (t[t.length - 1] - t[0]) / (t.length - 1);
}

it("cuts off a client that never reads, while another subscriber and block production go on at full speed", async () => {
  // History: 600 contributions with large metadata, from two senders.
  const owner = new TestAccount();
  const senders = [new TestAccount(), new TestAccount()];
  const fund = (a: TestAccount) => chain.faucet.transfer(chain.chainId, a.address, 1000n * ONE_OPEN, FEE);
  await submitAll([owner, ...senders].map(fund));
  await committedAll(chain.faucet.bech32, 3);
  const msg = {
    type: "create_datanet" as const,
    name: "slow",
    description: "",
    license: "CC-BY-4.0",
    curators: [] as Uint8Array[],
    contributionStake: ONE_OPEN / 100n,
    reviewFee: ONE_OPEN / 1000n,
    allowListed: false,
    contributors: [] as Uint8Array[],
  };
  await submitAll([owner.transfer(chain.chainId, owner.address, 0n, FEE, { msg })]);
  await committedAll(owner.bech32, 1);
  const { maxMetadataBytes, maxUriBytes } = DEFAULT_PARAMS.datanets;
  const metadata = JSON.stringify({ pad: "x".repeat(maxMetadataBytes - 12) });
  const contributions = senders.flatMap((s, k) =>
    Array.from({ length: 300 }, (_, i) => {
      const contentHash = new Uint8Array(32);
      contentHash.set([k, i & 0xff, i >> 8]);
      const uri = `ipfs://${"u".repeat(maxUriBytes - 16)}${k}-${i}`;
      const contribute = { type: "contribute" as const, datanetId: 1, contentHash, uri, sizeBytes: 1, metadata };
      return s.transfer(chain.chainId, s.address, 0n, FEE, { msg: contribute });
    }));
  await submitAll(contributions);
  for (const s of senders) await committedAll(s.bech32, 300);

  // The well-behaved subscriber: every block.
  const good = await connect();
  const blocks = await good.subscribe({ topic: "blocks" });
  const seen = () => good.items(blocks.subscription);
  await good.until(() => seen().length >= 12, "12 blocks before the stuck client");
  const without = meanInterval(seen().slice(0, 12));

  // The stuck one: replays the contributions and never reads a byte of them.
  const stuck = await connect();
  const filter = { type: "contribute" };
  const sub = await stuck.subscribe({ topic: "txs", filter, fromHeight: 1 });
  stuck.ws.pause();
  const from = seen().length;
  const deadline = Date.now() + 30_000;
  while (chain.node.websocket.stats.closedTooSlow < 1) {
    if (Date.now() > deadline) throw new Error("the stuck client was never cut off");
    await new Promise((r) => setTimeout(r, 50));
  }
  const during = seen().slice(from - 1);
  expect(during.length).toBeGreaterThanOrEqual(8); // the other subscriber kept receiving meanwhile
  const withStuck = meanInterval(during);
  expect(withStuck / without).toBeLessThan(1.2);
  expect(chain.node.websocket.stats.closedTooSlow).toBe(1);

  // Reading again, it gets what was sent before the cut-off, then the close code and the cursor to resume from.
  stuck.ws.resume();
  const closed = await stuck.closed;
  expect(closed.code).toBe(CLOSE_CODES.tooSlow);
  const cursor = /resume from cursor (\S+)/.exec(closed.reason)?.[1];
  expect(closed.reason).toMatch(/subscriber too slow/);
  expect(cursor).toBeDefined();
  const before = stuck.items(sub.subscription);
  expect(before.length).toBeGreaterThan(0);
  expect(before.length).toBeLessThan(600);

  const again = await connect();
  const resumed = await again.subscribe({ topic: "txs", filter, cursor });
  await again.until(() => before.length + again.items(resumed.subscription).length >= 600, "the rest of the history");
  const all = [...before, ...again.items(resumed.subscription)].map((n) => n.hash);
  expect(new Set(all).size).toBe(600);
  expect(all).toEqual(await searchAll(filter));
  console.log(
    `block interval without the stuck client ${without.toFixed(0)} ms, with it ${withStuck.toFixed(0)} ms ` +
    `(ratio ${(withStuck / without).toFixed(3)}); ${before.length} of 600 notifications sent before the cut-off`,
  );
}, 90_000);

import { afterAll, beforeAll, expect, it } from "vitest";
import { CLOSE_CODES, MIN_QUEUE_BYTES } from "../../rpc/ws/limits.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { TestWsClient } from "../helpers/ws-client.ts";
import { committedAll, largeContributions, meanInterval, searchHashes, submitAll } from "../helpers/ws-history.ts";

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

it("cuts off a client that never reads, while another subscriber and block production go on at full speed", async () => {
  // History: 600 contributions with large metadata, from two senders.
  const owner = new TestAccount();
  const senders = [new TestAccount(), new TestAccount()];
  const fund = (a: TestAccount) => chain.faucet.transfer(chain.chainId, a.address, 1000n * ONE_OPEN, FEE);
  await submitAll(chain.rpc, [owner, ...senders].map(fund));
  await committedAll(chain.rpc, chain.faucet.bech32, 3);
  await largeContributions(chain.rpc, chain.chainId, owner, senders, 300);

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
  expect(all).toEqual(await searchHashes(chain.rpc, filter));
  console.log(
    `block interval without the stuck client ${without.toFixed(0)} ms, with it ${withStuck.toFixed(0)} ms ` +
    `(ratio ${(withStuck / without).toFixed(3)}); ${before.length} of 600 notifications sent before the cut-off`,
  );
}, 90_000);

import { afterAll, expect, it } from "vitest";
import { CLOSE_CODES, MIN_QUEUE_BYTES } from "../../rpc/ws/limits.ts";
import { setConfigValue, TestNetwork } from "../helpers/network.ts";
import { TestWsClient } from "../helpers/ws-client.ts";
import { largeContributions, meanInterval, searchHashes } from "../helpers/ws-history.ts";

/**
 * On a node running as its own process: a subscriber that never reads is cut off (4008, with the cursor to
 * resume from) while another subscriber keeps receiving and blocks keep their pace: the block interval seen
 * while the stuck client is connected is that without it (within 1.2x). It then resumes from the cursor and
 * misses nothing. (test/integration/ws-slow-client.test.ts is the same on an in-process node, with the
 * gateway's own counters.)
 *
 * The stuck client must be sent more than the kernel's socket buffers hold (~4 MB on loopback) before the
 * node's queue for it fills: the history it replays is 600 contributions of ~12 KB each.
 */
const BLOCK_MS = 300;
const STALL_MS = 3000;
let net: TestNetwork | undefined;
const clients: TestWsClient[] = [];

afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await net?.stop();
});

it("a node process cuts off a client that never reads, while another subscriber and its blocks go on at full speed", async () => {
  net = await TestNetwork.start({
    validators: 1,
    blockIntervalMs: BLOCK_MS,
    accounts: 3,
    prepare: (home) => {
      setConfigValue(home, "rpc", "idle_timeout_ms", STALL_MS);
      setConfigValue(home, "ws", "queue_bytes", MIN_QUEUE_BYTES);
    },
  });
  const n = net;
  const node = n.nodes[0];
  const rpc = node.rpc;
  const connect = async () => {
    const c = await TestWsClient.connect(node.url);
    clients.push(c);
    return c;
  };

  // History: a datanet and 600 contributions with large metadata, from two senders.
  await largeContributions(rpc, n.chainId, n.account("account0"), [n.account("account1"), n.account("account2")], 300, 60_000);

  // The well-behaved subscriber: every block.
  const good = await connect();
  const blocks = await good.subscribe({ topic: "blocks" });
  const seen = () => good.items(blocks.subscription);
  await good.until(() => seen().length >= 12, "12 blocks before the stuck client", 30_000);
  const without = meanInterval(seen().slice(0, 12));

  // The stuck one: replays the contributions and reads none of them for three stall timeouts, during which
  // the node must cut it off (it has no way to tell us but the close frame the client reads afterwards).
  const stuck = await connect();
  const filter = { type: "contribute" };
  const sub = await stuck.subscribe({ topic: "txs", filter, fromHeight: 1 });
  stuck.ws.pause();
  const from = seen().length;
  const blocksWhileStuck = Math.ceil((3 * STALL_MS) / BLOCK_MS);
  await good.until(() => seen().length >= from + blocksWhileStuck, "blocks while the client is stuck", 60_000);
  const during = seen().slice(from - 1);
  const withStuck = meanInterval(during);
  expect(withStuck / without).toBeLessThan(1.2);

  // Reading again, it gets what was sent before the cut-off, then the close code and the cursor to resume from.
  stuck.ws.resume();
  const closed = await stuck.closed;
  expect(closed.code).toBe(CLOSE_CODES.tooSlow);
  expect(closed.reason).toMatch(/subscriber too slow/);
  const cursor = /resume from cursor (\S+)/.exec(closed.reason)?.[1];
  expect(cursor).toBeDefined();
  const before = stuck.items(sub.subscription);
  expect(before.length).toBeGreaterThan(0);
  expect(before.length).toBeLessThan(600);

  const again = await connect();
  const resumed = await again.subscribe({ topic: "txs", filter, cursor });
  await again.until(() => before.length + again.items(resumed.subscription).length >= 600, "the rest of the history", 30_000);
  const all = [...before, ...again.items(resumed.subscription)].map((x) => x.hash);
  expect(new Set(all).size).toBe(600);
  expect(all).toEqual(await searchHashes(rpc, filter));
  console.log(
    `block interval without the stuck client ${without.toFixed(0)} ms, with it ${withStuck.toFixed(0)} ms ` +
    `(ratio ${(withStuck / without).toFixed(3)}); ${before.length} of 600 notifications sent before the cut-off`,
  );
}, 180_000);

import { afterAll, beforeAll, expect, it } from "vitest";
import { CLOSE_CODES, MIN_QUEUE_BYTES, WS_CLIENT_SHARE } from "../../rpc/ws/limits.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { TestWsClient } from "../helpers/ws-client.ts";
import { committedAll, largeContributions, submitAll } from "../helpers/ws-history.ts";

/**
 * Each subscription's queue is bounded (ws.queue_bytes), but subscriptions x connections would multiply it:
 * 16 x 256 x 4 MiB. ws.max_queued_bytes_total bounds them all together (and one client address to
 * WS_CLIENT_SHARE of it). Here 2 connections x 16 subscriptions that never read replay ~3.6 MB of large txs
 * each (more than the kernel's socket buffers take): without the shared bound they would hold 32 x 64 KiB.
 */
const FEE = DEFAULT_PARAMS.minFee;
const TOTAL = 8 * MIN_QUEUE_BYTES;
const STALL_MS = 5000;
let chain: TestChain;
const clients: TestWsClient[] = [];

beforeAll(async () => {
  chain = await startTestChain({
    blockIntervalMs: 100,
    rpc: { idle_timeout_ms: STALL_MS },
    ws: { queue_bytes: MIN_QUEUE_BYTES, max_queued_bytes_total: TOTAL },
  });
}, 30_000);

afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await chain?.stop();
});

it("subscriptions that never read hold no more than ws.max_queued_bytes_total, and the node goes on", async () => {
  const owner = new TestAccount();
  const sender = new TestAccount();
  const fund = (a: TestAccount) => chain.faucet.transfer(chain.chainId, a.address, 1000n * ONE_OPEN, FEE);
  await submitAll(chain.rpc, [owner, sender].map(fund));
  await committedAll(chain.rpc, chain.faucet.bech32, 2);
  await largeContributions(chain.rpc, chain.chainId, owner, [sender], 300);

  const stuck: TestWsClient[] = [];
  for (let c = 0; c < 2; c++) {
    const client = await TestWsClient.connect(chain.node.rpc.url);
    clients.push(client);
    for (let s = 0; s < 16; s++) await client.subscribe({ topic: "txs", filter: { type: "contribute" }, fromHeight: 1 });
    client.ws.pause();
    stuck.push(client);
  }

  // While they are stuck: the accounted bytes, HTTP answers and new blocks, until both are cut off as too slow.
  const startHeight = (await chain.rpc.call<{ latestHeight: number }>("node_getStatus")).latestHeight;
  let peak = 0;
  let answered = 0;
  const deadline = Date.now() + 30_000;
  while (chain.node.websocket.stats.closedTooSlow < 2) {
    if (Date.now() > deadline) throw new Error("the stuck clients were never cut off");
    peak = Math.max(peak, chain.node.websocket.stats.queuedBytes);
    await chain.rpc.call("node_getStatus");
    answered++;
    await new Promise((r) => setTimeout(r, 10));
  }
  const endHeight = (await chain.rpc.call<{ latestHeight: number }>("node_getStatus")).latestHeight;
  console.log(`peak queued ${peak} bytes of ${TOTAL} (one address's share ${TOTAL * WS_CLIENT_SHARE}); ` +
    `${answered} HTTP answers and ${endHeight - startHeight} blocks meanwhile`);
  expect(peak).toBeGreaterThan(0); // the test did reach the node's queues (past the kernel's buffers)
  expect(peak).toBeLessThanOrEqual(TOTAL * WS_CLIENT_SHARE);
  expect(endHeight).toBeGreaterThan(startHeight + 3);

  for (const client of stuck) {
    client.ws.resume();
    expect((await client.closed).code).toBe(CLOSE_CODES.tooSlow);
  }
  // Everything they held is given back.
  expect(chain.node.websocket.stats.queuedBytes).toBe(0);
}, 90_000);

import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Semaphore } from "../../rpc/semaphore.ts";
import { postFrom } from "../helpers/http-request.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { TestWsClient } from "../helpers/ws-client.ts";

/**
 * The node's scan slots (rpc.max_concurrent_scans) are taken in turns by client address: a WebSocket
 * subscription's page reads wait their turn as their connection's address, an HTTP query as its own, so one
 * address's many subscriptions replaying pages cannot keep every other client's query waiting behind all of
 * them (rpc/semaphore.ts says how the turns go; test/unit/rpc-pacing.test.ts shows the order).
 */
let chain: TestChain;

beforeAll(async () => {
  chain = await startTestChain();
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await chain?.stop();
});

describe("scan slots taken in turns by client address", () => {
  it("a subscription's page reads wait as its connection's address, an HTTP query as its own", async () => {
    const acquired = vi.spyOn(Semaphore.prototype, "acquire");
    const c = await TestWsClient.connect(chain.node.rpc.url);
    try {
      const sub = await c.subscribe({ topic: "blocks", fromHeight: 1 });
      await c.until(() => c.items(sub.subscription).length > 0, "a block replayed");
      const answer = await postFrom("127.0.0.2", chain.node.rpc.url, {
        jsonrpc: "2.0",
        id: 1,
        method: "tx_search",
        params: { type: "transfer", limit: 10 },
      });
      expect(answer).toMatchObject({ id: 1, result: { items: expect.any(Array) } });
      const clients = new Set(acquired.mock.calls.map(([, client]) => client));
      // Before, every caller waited in one line, in arrival order: no address was passed.
      expect(clients).toContain("127.0.0.1");
      expect(clients).toContain("127.0.0.2");
    } finally {
      c.close();
      acquired.mockRestore();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHeavyDatanets } from "../helpers/heavy-datanets.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { TestWsClient } from "../helpers/ws-client.ts";

/**
 * A `blocks` subscription reads each block whose header is not cached in full, charged to its page's work
 * budget by size (rpc/block-read-charge.ts). A page that would cross the budget ends before that block and
 * the next page goes on: failing instead, the subscription ended on the same page every time it was resumed.
 * Here the budget is the least config allows (100 keys, ~100 KiB of blocks a page) and the chain holds ~160 KB
 * of 4 KB datanets.
 */
let chain: TestChain;

beforeAll(async () => {
  chain = await startTestChain({ rpc: { max_request_work: 100 } });
  await createHeavyDatanets(chain.rpc, chain.chainId, chain.faucet, 40);
}, 60_000);

afterAll(async () => {
  await chain?.stop();
});

describe("a blocks replay over blocks bigger than a page's budget", () => {
  it("delivers every block, page after page, and never fails", async () => {
    const tip = chain.node.app.info().height;
    const c = await TestWsClient.connect(chain.node.rpc.url);
    try {
      const sub = await c.subscribe({ topic: "blocks", fromHeight: 1 });
      await c.until(() => c.items(sub.subscription).length >= tip || c.failed.size > 0, "the replay up to the tip");
      expect(c.failed.get(sub.subscription)).toBeUndefined();
      const heights = c.items(sub.subscription).slice(0, tip).map((n) => (n as { height: number }).height);
      expect(heights).toEqual(Array.from({ length: tip }, (_, i) => i + 1));
    } finally {
      c.close();
    }
  });
});

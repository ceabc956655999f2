import { lpStream } from "@libp2p/utils";
import { afterEach, describe, expect, it } from "vitest";
import { SYNC_PROTOCOL } from "../../node/block-sync.ts";
import type { P2pHost } from "../../p2p/host.ts";
import { decodeBlockRequest } from "../../proto/p2p.ts";
import { fetchingSyncClient } from "../helpers/fetching-sync-client.ts";
import { TestTeardown } from "../helpers/loopback-host.ts";
import { syncAnswerOf } from "../helpers/sync-answer.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * A node one block behind waits out graceMs before it syncs (consensus may still decide that height), unless
 * consensus says the network decided it with a block this node never got (+2/3 precommits, no proposal):
 * then it syncs at once. Before, such a node waited 3 s, fell two blocks behind, synced, resumed consensus
 * just after the next proposal had gone out, and so on: under load a validator stayed out of consensus
 * (test/e2e/validator-set-change.test.ts failed 3 runs of 10 beside four busy loops).
 */
const teardown = new TestTeardown();
afterEach(() => teardown.undo());

async function server(count: number): Promise<P2pHost> {
  const host = await teardown.host();
  await host.handle(SYNC_PROTOCOL, async (stream) => {
    const req = decodeBlockRequest((await lpStream(stream).read()).subarray());
    stream.send(syncAnswerOf(req.fromHeight, Math.max(0, Math.min(req.count, count - req.fromHeight + 1))));
    await stream.close();
  });
  return host;
}

describe("block sync one block behind", () => {
  it("syncs at once, not after its grace, when the network decided the height with a block never received", async () => {
    let asked = 0;
    const { applied, sync } = await fetchingSyncClient({
      client: await teardown.host(),
      server: await server(1),
      height: 1,
      // A grace far past the test: only the hook can start this sync.
      options: { graceMs: 600_000, checkMs: 20 },
      // Consensus has not seen the decision for its first few checks, then holds +2/3 precommits without the block.
      chain: { lacksDecidedBlock: () => ++asked > 3 },
    });
    teardown.defer(() => sync.stop());
    await waitFor("block 1 synced", () => (applied.length === 1 ? true : undefined), 20_000);
    expect(applied).toEqual([1]);
    // It asked consensus at each check and synced only once the answer was yes.
    expect(asked).toBeGreaterThan(3);
  });
});

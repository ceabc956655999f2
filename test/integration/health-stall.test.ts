import { afterEach, describe, expect, it } from "vitest";
import { httpRequest } from "../helpers/http-request.ts";
import { type InProcessNetwork, startInProcessNetwork } from "../helpers/in-process-network.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * Issue 17, /health: a validator of a two-validator set whose peer stops can make no block (the quorum needs
 * both); its /health turns 503 and says why, as a load balancer or an operator's probe sees it.
 */

let net: InProcessNetwork | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

interface Health {
  healthy: boolean;
  reasons: string[];
  height: number;
  peers: number;
  catchingUp: boolean;
}

async function health(url: string): Promise<{ status: number; body: Health }> {
  const res = await httpRequest(`${url}/health`);
  return { status: res.status, body: JSON.parse(res.body) as Health };
}

describe("/health when blocks stop", () => {
  it("turns 503 with the reasons: no peer's height, no block for longer than health.max_block_age_ms, no peers", async () => {
    net = await startInProcessNetwork({
      validators: 2,
      accounts: 0,
      blockIntervalMs: 100,
      configure: (_i, config) => {
        config.health.max_block_age_ms = 1500;
      },
    });
    const [a, b] = net.nodes;
    await net.waitForHeight(2);
    const ok = await waitFor("node 0 healthy with its peer", async () => {
      const h = await health(a.rpc.url);
      return h.status === 200 && h.body.peers === 1 ? h : undefined;
    });
    expect(ok.body).toMatchObject({ healthy: true, reasons: [], catchingUp: false });

    await b.stop();
    net.nodes.splice(1, 1); // stopped here; the network's stop must not stop it again
    const stalled = await waitFor("node 0 unhealthy", async () => {
      const h = await health(a.rpc.url);
      return h.status === 503 && h.body.reasons.length === 3 ? h : undefined;
    }, 15_000);
    expect(stalled.body.healthy).toBe(false);
    expect(stalled.body.reasons).toEqual([
      // Block sync counts a node that expects peers and hears from none as catching up: it cannot know better.
      expect.stringMatching(/^catching up: at height \d+, no peer's height known$/),
      expect.stringMatching(/^no block for \d+(\.\d+)? s \(health\.max_block_age_ms = 1500\)$/),
      "no peers: this validator is one of 2 in its set",
    ]);
    expect(stalled.body).toMatchObject({ peers: 0, catchingUp: true });
  });
});

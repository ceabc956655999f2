import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import type { IdentifyResult } from "@libp2p/interface";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

let chain: TestChain;
beforeAll(async () => {
  chain = await startTestChain();
});
afterAll(async () => {
  await chain?.stop();
});

describe("the node's libp2p host", () => {
  it("a stock libp2p peer connects over TCP/noise/yamux, authenticates the node id and identifies it", async () => {
    const status = await chain.rpc.call<{ nodeId: string; p2pAddresses: string[] }>("node_status");
    expect(status.p2pAddresses.length).toBeGreaterThan(0);
    const address = status.p2pAddresses[0];
    expect(address).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//);
    expect(address.endsWith(`/p2p/${status.nodeId}`)).toBe(true);

    // No project code on this side: plain libp2p with the standard modules.
    const stranger = await createLibp2p({
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), ping: ping() },
    });
    try {
      // identify runs by itself when the connection opens (one inbound identify stream per peer is allowed).
      const identified = new Promise<IdentifyResult>((resolve) =>
        stranger.addEventListener("peer:identify", (e) => resolve(e.detail), { once: true }),
      );
      const connection = await stranger.dial(multiaddr(address));
      expect(connection.remotePeer.toString()).toBe(status.nodeId);
      const info = await identified;
      expect(info.peerId.toString()).toBe(status.nodeId);
      expect(info.protocols).toContain("/ipfs/id/1.0.0");
      expect(info.protocols).toContain("/ipfs/ping/1.0.0");
      expect(info.agentVersion).toMatch(/^opl\//);
      const rtt = await stranger.services.ping.ping(multiaddr(address));
      expect(rtt).toBeGreaterThanOrEqual(0);
    } finally {
      await stranger.stop();
    }
  });
});

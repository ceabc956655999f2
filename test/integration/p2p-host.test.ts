import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import type { IdentifyResult } from "@libp2p/interface";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYNC_PROTOCOL } from "../../node/block-sync.ts";
import { CONSENSUS_PROTOCOL } from "../../node/network.ts";
import { TX_PROTOCOL } from "../../node/tx-relay.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { waitFor } from "../helpers/tmp.ts";

let chain: TestChain;
beforeAll(async () => {
  chain = await startTestChain();
});
afterAll(async () => {
  await chain?.stop();
});

/** A plain libp2p peer with the standard modules (no project code), under a fresh peer id. */
function stockPeer() {
  return createLibp2p({
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  });
}

describe("the node's libp2p host", () => {
  it("forgets a stranger once its connection closes: ids that connect, identify and leave do not pile up", async () => {
    const status = await chain.rpc.call<{ nodeId: string; p2pAddresses: string[] }>("node_getStatus");
    const address = multiaddr(status.p2pAddresses[0]);
    const store = chain.node.p2p.peerStore;
    const before = (await store.all()).length;
    // Each a fresh peer id, as a stranger makes one for free: identify tells the node its protocols,
    // addresses and agent, which libp2p's peer store kept (in memory, for good) for every one.
    for (let i = 0; i < 20; i++) {
      const stranger = await stockPeer();
      try {
        const identified = new Promise<void>((resolve) =>
          stranger.addEventListener("peer:identify", () => resolve(), { once: true }),
        );
        await stranger.dial(address);
        await identified; // both ends have identified each other by now, or will within the node's next turns
        await waitFor("the node to identify the stranger", async () =>
          (await store.has(stranger.peerId)) ? true : undefined,
        );
      } finally {
        await stranger.stop();
      }
    }
    const left = await waitFor("the strangers' records to go", async () => {
      const n = (await store.all()).length;
      return n <= before ? n : undefined;
    });
    expect(left).toBeLessThanOrEqual(before);
  });

  it("a stock libp2p peer connects over TCP/noise/yamux, authenticates the node id and identifies it", async () => {
    const status = await chain.rpc.call<{ nodeId: string; p2pAddresses: string[] }>("node_getStatus");
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
      for (const p of [CONSENSUS_PROTOCOL, TX_PROTOCOL, SYNC_PROTOCOL]) expect(info.protocols).toContain(p);
      expect(info.agentVersion).toMatch(/^opl\//);
      const rtt = await stranger.services.ping.ping(multiaddr(address));
      expect(rtt).toBeGreaterThanOrEqual(0);
    } finally {
      await stranger.stop();
    }
  });

  it("drops a stock peer that writes garbage on each project protocol, and keeps making blocks", async () => {
    const status = await chain.rpc.call<{ nodeId: string; p2pAddresses: string[] }>("node_getStatus");
    const address = multiaddr(status.p2pAddresses[0]);
    for (const protocol of [CONSENSUS_PROTOCOL, TX_PROTOCOL, SYNC_PROTOCOL]) {
      const stranger = await stockPeer();
      try {
        const stream = await stranger.dialProtocol(address, protocol);
        // A length prefix announcing 2^35 bytes, then junk: no frame like it is allowed on any protocol.
        stream.send(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef));
        await waitFor(`${protocol}: stranger dropped`, () =>
          chain.node.p2p.getConnections(stranger.peerId).length === 0 ? true : undefined, 10_000);
      } finally {
        await stranger.stop();
      }
    }
    const before = chain.node.app.info().height;
    await chain.waitForHeight(before + 2);
  });
});

import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { identify } from "@libp2p/identify";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p, type Libp2p } from "libp2p";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { waitFor } from "../helpers/tmp.ts";

interface PeersAnswer {
  count: number;
  peers: {
    nodeId: string;
    address: string;
    direction: string;
    connections: { address: string; direction: string }[];
  }[];
}

/** node_getPeers lists each peer once, however many connections it has (issue 17), with each connection. */
let chain: TestChain;
let peer: Libp2p;
beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 1000 });
  peer = await createLibp2p({
    privateKey: await generateKeyPair("Ed25519"),
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  });
});
afterAll(async () => {
  await peer?.stop();
  await chain?.stop();
});

describe("node_getPeers", () => {
  it("lists a peer with two connections once, with both connections", async () => {
    const status = await chain.rpc.call<{ p2pAddresses: string[] }>("node_getStatus");
    const address = multiaddr(status.p2pAddresses[0]);
    await peer.dial(address);
    await peer.dial(address, { force: true }); // a second connection to the same node, as a simultaneous dial makes
    const id = peer.peerId.toString();
    const answer = await waitFor("the node sees both connections", async () => {
      const r = await chain.rpc.call<PeersAnswer>("node_getPeers");
      const mine = r.peers.filter((p) => p.nodeId === id);
      return mine.length > 0 && mine.reduce((n, p) => n + (p.connections?.length ?? 1), 0) >= 2 ? r : undefined;
    });
    const mine = answer.peers.filter((p) => p.nodeId === id);
    expect(mine).toHaveLength(1);
    expect(answer.count).toBe(answer.peers.length);
    expect(new Set(answer.peers.map((p) => p.nodeId)).size).toBe(answer.peers.length);
    expect(mine[0].connections).toHaveLength(2);
    for (const c of mine[0].connections) {
      expect(c.direction).toBe("inbound");
      expect(c.address).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+/);
    }
    expect(mine[0]).toMatchObject({ direction: "inbound", address: mine[0].connections[0].address });
  });
});

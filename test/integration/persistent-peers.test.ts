import { createServer } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { homePaths, readConfig } from "../../node/config.ts";
import { initHome } from "../../node/init.ts";
import { OplNode } from "../../node/node.ts";
import { parsePeerAddress } from "../../p2p/persistent-peers.ts";
import { RpcClient } from "../../rpc/client.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/** A port the OS just handed out (bound and released), so a restarted node can listen on it again. */
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

async function start(home: string, p2pListen: string, persistentPeers: string[] = []): Promise<OplNode> {
  const config = readConfig(homePaths(home).config);
  config.p2p.listen = p2pListen;
  config.p2p.persistent_peers = persistentPeers;
  return OplNode.start({ home, config, logger: pino({ level: "silent" }) });
}

async function peersOf(node: OplNode): Promise<string[]> {
  const r = await new RpcClient(node.rpc.url).call<{ peers: { nodeId: string }[] }>("node_getPeers");
  return r.peers.map((p) => p.nodeId);
}

describe("persistent peers", () => {
  it("connects to its persistent peers, shows them in node_getPeers, and redials after the peer restarts", async () => {
    const homes = [tempDir("opl-peer-a-"), tempDir("opl-peer-b-")];
    for (const h of homes) cleanups.push(h.cleanup);
    for (const h of homes) await initHome({ home: h.dir, chainId: "opl-peers-1", moniker: "p", rpcListen: "127.0.0.1:0" });
    const port = await freePort();
    let a = await start(homes[0].dir, `/ip4/127.0.0.1/tcp/${port}`);
    const aAddress = `/ip4/127.0.0.1/tcp/${port}/p2p/${a.nodeId}`;
    const b = await start(homes[1].dir, "/ip4/127.0.0.1/tcp/0", [aAddress]);
    cleanups.push(() => b.stop());

    await waitFor("b connected to a", async () => ((await peersOf(b)).includes(a.nodeId) ? true : undefined));
    await waitFor("a sees b", async () => ((await peersOf(a)).includes(b.nodeId) ? true : undefined));

    await a.stop();
    await waitFor("b noticed a left", async () => ((await peersOf(b)).length === 0 ? true : undefined));
    a = await start(homes[0].dir, `/ip4/127.0.0.1/tcp/${port}`);
    cleanups.push(() => a.stop());
    await waitFor("b redialled a", async () => ((await peersOf(b)).includes(a.nodeId) ? true : undefined));
  });

  it("refuses a persistent peer address without a peer id, saying why", () => {
    expect(() => parsePeerAddress("/ip4/127.0.0.1/tcp/26656")).toThrow(/must end in \/p2p\/<peer id>/);
    expect(() => parsePeerAddress("not an address")).toThrow(/not a multiaddr/);
  });
});

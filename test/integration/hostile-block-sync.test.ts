import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { homePaths, readConfig } from "../../node/config.ts";
import { initHome } from "../../node/init.ts";
import { OplNode } from "../../node/node.ts";
import { RpcClient } from "../../rpc/client.ts";
import { buildChain } from "../helpers/built-chain.ts";
import { createJoiningHome } from "../helpers/joining-home.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * A fresh node has two peers: the real chain, and a node of another chain under the same chain id (its own
 * genesis and validator), longer, so it looks like the best peer. Blocks from the other chain fail their
 * checks against the real genesis (validators, last block hash, commit): the peer that served them is
 * penalised and not believed for a while, the pipelined ranges fetched from it are dropped, and the fresh
 * node ends on the real chain.
 */
const CHAIN = "opl-hostilesync-1";
const tmp = tempDir("opl-hostilesync-");
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  tmp.cleanup();
});

async function chainOf(name: string, blocks: number): Promise<{ home: string; node: OplNode; address: string }> {
  const home = join(tmp.dir, name);
  await initHome({ home, chainId: CHAIN, moniker: name });
  await buildChain(home, Array.from({ length: blocks }, () => []));
  const config = readConfig(homePaths(home).config);
  config.rpc.listen = "127.0.0.1:0";
  config.p2p.listen = "/ip4/127.0.0.1/tcp/0";
  config.consensus.block_interval_ms = 1000;
  const node = await OplNode.start({ home, config, logger: pino({ level: "silent" }) });
  stops.push(() => node.stop());
  const address = node.p2p.getMultiaddrs().find((a) => a.toString().includes("127.0.0.1"))?.toString();
  if (address === undefined) throw new Error("no p2p address on 127.0.0.1");
  return { home, node, address };
}

describe("block sync from a peer of another chain", () => {
  it("the peer serving another chain's blocks is penalised; the fresh node ends on the real chain", async () => {
    const real = await chainOf("real", 300);
    const other = await chainOf("other", 600);

    const home = join(tmp.dir, "fresh");
    await createJoiningHome(home, { genesisFrom: real.home, peers: [real.address, other.address] });
    const warnings: { msg: string; peer?: string; reason?: string }[] = [];
    const capture = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split("\n")) if (l.includes("misbehaved")) warnings.push(JSON.parse(l) as never);
        done();
      },
    });
    const config = readConfig(homePaths(home).config);
    config.rpc.listen = "127.0.0.1:0";
    config.p2p.listen = "/ip4/127.0.0.1/tcp/0";
    const fresh = await OplNode.start({ home, config, logger: pino({ level: "warn" }, capture) });
    stops.push(() => fresh.stop());

    const otherId = other.node.nodeId;
    await waitFor("the other chain's peer penalised for a bad block", () =>
      warnings.find((w) => w.peer === otherId && /block sync: block \d+ invalid|refusing to commit/.test(w.reason ?? "")), 60_000);
    await waitFor("fresh node at height 300", () => (fresh.app.info().height >= 300 ? true : undefined), 60_000);
    const hashAt = (url: string) => new RpcClient(url).call<{ hash: string }>("chain_getBlock", { height: 300 });
    expect(await hashAt(fresh.rpc.url)).toEqual(await hashAt(real.node.rpc.url));
    // The real chain's node is never blamed.
    expect(warnings.filter((w) => w.peer === real.node.nodeId)).toEqual([]);
  }, 120_000);
});

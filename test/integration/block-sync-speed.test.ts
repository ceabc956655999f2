import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { homePaths, readConfig } from "../../node/config.ts";
import { initHome } from "../../node/init.ts";
import { Keyring } from "../../node/keyring.ts";
import { OplNode } from "../../node/node.ts";
import { RpcClient } from "../../rpc/client.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { type BuiltBlock, buildChain } from "../helpers/built-chain.ts";
import { createJoiningHome } from "../helpers/joining-home.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * A fresh node syncs a long chain from a peer over real libp2p: 2,000 empty blocks, then blocks full of
 * transfers. It ends on the source's block (so on its state root, which it checked against its own
 * execution of every block), and its log says how the sync goes, about once a second: height, target,
 * blocks/s, tx/s and the time left.
 */
const CHAIN = "opl-syncspeed-1";
const EMPTY = 2000;
const FULL_BLOCKS = 4;
const TXS_PER_BLOCK = 500;
const tmp = tempDir("opl-syncspeed-");
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  tmp.cleanup();
});

function startNode(home: string, logger = pino({ level: "silent" })): Promise<OplNode> {
  const config = readConfig(homePaths(home).config);
  config.rpc.listen = "127.0.0.1:0";
  config.p2p.listen = "/ip4/127.0.0.1/tcp/0";
  config.consensus.block_interval_ms = 1000;
  return OplNode.start({ home, config, logger });
}

interface LogLine {
  msg: string;
  height?: number;
  target?: number;
  blocksPerSec?: number;
  txPerSec?: number;
  etaSeconds?: number;
  blocks?: number;
  seconds?: number;
}

describe("block sync of a long chain", () => {
  it(`a fresh node syncs ${EMPTY} empty blocks and ${FULL_BLOCKS} full ones, ends on the source's state, logs progress`, async () => {
    const sourceHome = join(tmp.dir, "source");
    await initHome({ home: sourceHome, chainId: CHAIN, moniker: "source" });
    const faucet = new TestAccount(new Keyring(sourceHome).get("validator").secretKey);
    const fee = DEFAULT_PARAMS.minFee;
    const senders = Array.from({ length: 4 }, () => new TestAccount());
    const recipient = new TestAccount().address;
    function* blocks(): Generator<BuiltBlock> {
      for (let i = 0; i < EMPTY; i++) yield [];
      yield senders.map((s) => faucet.transfer(CHAIN, s.address, 1_000_000n * fee, fee).bytes);
      for (let b = 0; b < FULL_BLOCKS; b++) {
        const sender = (i: number) => senders[i % senders.length];
        yield Array.from({ length: TXS_PER_BLOCK }, (_, i) => sender(i).transfer(CHAIN, recipient, 1n, fee).bytes);
      }
    }
    const built = await buildChain(sourceHome, blocks());
    expect(built).toBe(EMPTY + 1 + FULL_BLOCKS);

    const source = await startNode(sourceHome);
    stops.push(() => source.stop());
    const address = source.p2p.getMultiaddrs().find((a) => a.toString().includes("127.0.0.1"));
    expect(address).toBeDefined();

    const freshHome = join(tmp.dir, "fresh");
    await createJoiningHome(freshHome, { genesisFrom: sourceHome, peers: [`${address?.toString()}`] });
    const lines: LogLine[] = [];
    const capture = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split("\n")) if (l.includes("block sync")) lines.push(JSON.parse(l) as LogLine);
        done();
      },
    });
    const fresh = await startNode(freshHome, pino({ level: "info" }, capture));
    stops.push(() => fresh.stop());

    await waitFor(`fresh node at height ${built}`, () => (fresh.app.info().height >= built ? true : undefined), 90_000);
    const [theirs, mine] = await Promise.all([
      new RpcClient(source.rpc.url).call<{ hash: string; header: { stateRoot: string } }>("chain_getBlock", { height: built }),
      new RpcClient(fresh.rpc.url).call<{ hash: string; header: { stateRoot: string } }>("chain_getBlock", { height: built }),
    ]);
    expect(mine).toEqual(theirs);
    const balance = (rpc: RpcClient) => rpc.call<unknown>("account_get", { address: senders[0].bech32, height: built });
    expect(await balance(new RpcClient(fresh.rpc.url))).toEqual(await balance(new RpcClient(source.rpc.url)));

    const progress = lines.filter((l) => l.msg === "block sync: progress");
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) {
      expect(p.height).toBeGreaterThan(0);
      expect(p.target).toBeGreaterThanOrEqual(built);
      expect(typeof p.blocksPerSec).toBe("number");
      expect(typeof p.txPerSec).toBe("number");
      expect(typeof p.etaSeconds).toBe("number");
    }
    const done = await waitFor("the sync's closing line", () => lines.find((l) => l.msg === "block sync: done, consensus resumes"));
    expect(done.blocks).toBeGreaterThanOrEqual(built - 1);
    // About one line a second, not one per block or per range.
    expect(progress.length).toBeLessThan(5 + (done.seconds ?? 0) * 2);
  }, 120_000);
});

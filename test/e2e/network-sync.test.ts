import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RpcClient } from "../../rpc/client.ts";
import { createJoiningHome } from "../helpers/joining-home.ts";
import { TestNetwork } from "../helpers/network.ts";
import { NodeProcess, setBlockInterval } from "../helpers/processes.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * A node started fresh once the chain is at height 500 fetches every block with its commit from its peer,
 * verifies and applies them, says it is catching up while it is behind (and only then), and follows
 * the chain at the tip afterwards.
 */
const TARGET = 500;
const tmp = tempDir("opl-e2e-sync-");
let net: TestNetwork | undefined;
let fresh: NodeProcess | undefined;
afterAll(async () => {
  await fresh?.kill();
  await net?.stop();
  tmp.cleanup();
});

interface Status {
  latestHeight: number;
  latestBlockHash: string;
  catchingUp: boolean;
}

describe("block sync", () => {
  it(`a node started after height ${TARGET} syncs to the tip, reporting catchingUp truthfully`, async () => {
    net = await TestNetwork.start({ validators: 1, blockIntervalMs: 10, chainId: "opl-sync-1" });
    const n = net;
    n.startWatchdog({ stallMs: 20_000 });
    await n.waitForHeight(TARGET, { timeoutMs: 240_000 });
    // Now slow the chain to a live pace (it made ~80 blocks/s to get here fast): a syncing node must be
    // able to reach a tip that moves like a real one, not one racing it at its own speed.
    await n.kill(0, "SIGTERM");
    setBlockInterval(n.nodes[0].home, 200);
    await n.restart(0);

    const home = join(tmp.dir, "fresh");
    await createJoiningHome(home, { genesisFrom: n.nodes[0].home, peers: [n.nodes[0].p2p], blockIntervalMs: 10 });
    fresh = await NodeProcess.start(home);
    const client = new RpcClient(fresh.url);

    // Sample the fresh node's status while it syncs: it must say it is catching up while far behind, and
    // never say it is not while more than 20 blocks behind (the two status calls race a few blocks).
    const samples: { catchingUp: boolean; behind: number }[] = [];
    const synced = await waitFor("fresh node at the validator's height", async () => {
      const [mine, theirs] = await Promise.all([
        client.call<Status>("node_getStatus"),
        n.nodes[0].rpc.call<Status>("node_getStatus"),
      ]);
      samples.push({ catchingUp: mine.catchingUp, behind: theirs.latestHeight - mine.latestHeight });
      return theirs.latestHeight - mine.latestHeight <= 2 && !mine.catchingUp ? mine : undefined;
    }, 120_000);
    expect(synced.latestHeight).toBeGreaterThanOrEqual(TARGET);
    expect(samples.some((s) => s.catchingUp && s.behind > 2)).toBe(true);
    expect(samples.filter((s) => !s.catchingUp && s.behind > 20)).toEqual([]);

    const logs = fresh.logLines;
    const done = await waitFor("the sync's closing log line", () =>
      logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "block sync: done, consensus resumes"));
    expect(done?.blocks as number).toBeGreaterThanOrEqual(TARGET - 5);
    console.log(`block sync: ${done?.blocks} blocks in ${done?.seconds} s, ${done?.blocksPerSec} blocks/s`);
    expect(done?.blocksPerSec as number).toBeGreaterThan(20);

    // At the tip it keeps following, and every header it holds is the validator's.
    const tip = (await n.nodes[0].rpc.call<Status>("node_getStatus")).latestHeight;
    await waitFor("fresh node follows", async () =>
      (await client.call<Status>("node_getStatus")).latestHeight >= tip + 10 ? true : undefined, 60_000);
    for (let h = 1; h <= tip; h += 37) {
      const [a, b] = await Promise.all([
        client.call<{ hash: string }>("chain_getBlock", { height: h }),
        n.nodes[0].rpc.call<{ hash: string }>("chain_getBlock", { height: h }),
      ]);
      expect(a.hash).toBe(b.hash);
    }
    n.assertHealthy();
  }, 400_000);
});

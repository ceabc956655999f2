import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { fetchNodeStatus } from "../../node/devnet-status.ts";
import { TestNetwork } from "../helpers/network.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * The multi-validator test harness itself, on what works without validators networked into one chain:
 * a one-validator network makes blocks on its own; a three-validator one connects as peers.
 */
let net: TestNetwork | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function peerIds(n: TestNetwork, i: number): Promise<string[]> {
  const r = await n.nodes[i].client.node.getPeers();
  return [...new Set(r.peers.map((p) => p.nodeId))].sort();
}

describe("TestNetwork", () => {
  it("runs nodes as processes on their configured ports, peered; kill, restart, pause and resume them", async () => {
    net = await TestNetwork.start({ validators: 3 });
    const n = net;
    expect(n.nodes.map((x) => x.name)).toEqual(["node0", "node1", "node2"]);
    const statuses = await n.statuses();
    expect(statuses.map((s) => s?.chainId)).toEqual(["opl-testnet-1", "opl-testnet-1", "opl-testnet-1"]);
    expect(statuses.map((s) => s?.nodeId)).toEqual(n.nodes.map((x) => x.nodeId));
    for (const i of [0, 1, 2]) {
      const others = n.nodes.filter((_, j) => j !== i).map((x) => x.nodeId).sort();
      await waitFor(`node${i} peered with the others`, async () =>
        JSON.stringify(await peerIds(n, i)) === JSON.stringify(others) ? true : undefined, 60_000);
    }

    const pid1 = n.nodes[1].pid as number;
    await n.kill(1);
    expect(alive(pid1)).toBe(false);
    expect((await n.heights()).map((h) => h !== undefined)).toEqual([true, false, true]);
    await n.restart(1);
    expect(n.nodes[1].pid).not.toBe(pid1);
    expect((await n.nodes[1].client.node.getStatus()).nodeId).toBe(n.nodes[1].nodeId);
    await waitFor("node0 redialled the restarted node1", async () =>
      (await peerIds(n, 0)).includes(n.nodes[1].nodeId) ? true : undefined, 60_000);

    n.pause(2);
    expect((await n.heights()).map((h) => h !== undefined)).toEqual([true, true, false]);
    expect(await fetchNodeStatus(n.nodes[2].url, 500)).toBeUndefined(); // frozen for real: it does not answer
    n.resume(2);
    expect((await n.heights()).map((h) => h !== undefined)).toEqual([true, true, true]);

    n.pause(0);
    await n.kill(0, "SIGTERM"); // a paused node is continued so that it can act on the signal
    expect(n.nodes[0].pid).toBeUndefined();

    const { dir } = n;
    const pids = n.nodes.map((x) => x.pid).filter((p) => p !== undefined);
    await n.stop();
    net = undefined;
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  }, 120_000); // several real node processes: room for a loaded machine

  it("waits for heights, checks headers, and its watchdog fails a stalled chain with \"chain stalled\"", async () => {
    net = await TestNetwork.start({ validators: 1, blockIntervalMs: 100 });
    const n = net;
    n.startWatchdog({ stallMs: 4000, intervalMs: 200 });
    await n.waitForHeight(3, { timeoutMs: 30_000 });
    expect(await n.checkIdenticalHeaders()).toBeGreaterThanOrEqual(3);
    n.assertHealthy();

    // A halt the test asked for is no failure.
    n.expectProgress(false);
    n.pause(0);
    await waitFor("the watchdog to see no progress for twice the limit", () =>
      (n.watchdogState()?.stalledForMs ?? 0) > 8000 ? true : undefined,
    );
    expect(n.watchdogState()?.failure).toBeUndefined();
    n.resume(0);
    const before = (await n.heights())[0] as number;
    await n.waitForHeight(before + 2, { timeoutMs: 30_000 });

    // An unexpected halt is: waitForHeight rejects with it long before its own timeout.
    n.expectProgress(true);
    n.pause(0);
    const started = Date.now();
    await expect(n.waitForHeight(1_000_000, { timeoutMs: 60_000 })).rejects.toThrow(/chain stalled/);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(() => n.assertHealthy()).toThrow(/chain stalled: the highest height over live nodes stayed at \d+/);
  }, 120_000); // several real node processes: room for a loaded machine

  it("kill and restart keep the chain: a restarted node continues from its height", async () => {
    net = await TestNetwork.start({ validators: 1, blockIntervalMs: 100 });
    const n = net;
    await n.waitForHeight(3, { timeoutMs: 30_000 });
    await n.kill(0);
    const [h] = await n.heights();
    expect(h).toBeUndefined();
    await n.restart(0);
    const height = (await n.heights())[0] as number;
    expect(height).toBeGreaterThanOrEqual(3);
    await n.waitForHeight(height + 2, { timeoutMs: 30_000 });
    expect(await n.checkIdenticalHeaders()).toBeGreaterThanOrEqual(height + 2);
  }, 120_000); // several real node processes: room for a loaded machine
});

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { homePaths, readConfig } from "../../node/config.ts";
import { devnetVerifyWorkers } from "../../node/devnet-homes.ts";
import { parseGenesis } from "../../node/genesis-file.ts";
import { RpcClient } from "../../rpc/client.ts";
import { NODE, OPL, runCli } from "../helpers/processes.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * `opl devnet` as an operator runs it: N real node processes, devnet.json, a live height line, one chain
 * made by all of them, a clean stop.
 */
const tmp = tempDir("opl-e2e-devnet-");
const dir = join(tmp.dir, "devnet");
const launched: ChildProcess[] = [];

afterAll(() => {
  for (const c of launched) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  // Nodes are in their own process groups: kill any the launcher left behind before removing their homes.
  if (existsSync(join(dir, "devnet.json"))) for (const pid of pidsOf(devnetFile())) kill(pid, "SIGKILL");
  tmp.cleanup();
});

interface DevnetFile {
  chainId: string;
  nodes: { name: string; home: string; rpc: string; p2p: string; pid: number }[];
}

function devnetFile(): DevnetFile {
  return JSON.parse(readFileSync(join(dir, "devnet.json"), "utf8")) as DevnetFile;
}

function pidsOf(file: DevnetFile): number[] {
  return file.nodes.map((n) => n.pid);
}

function kill(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  return kill(pid, 0);
}

function launch(args: string[]) {
  const child = spawn(NODE, [OPL, "devnet", "--dir", dir, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  launched.push(child);
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (d) => {
    out.stdout += d;
  });
  child.stderr.on("data", (d) => {
    out.stderr += d;
  });
  // At "close", not "exit": the launcher's last lines ("all nodes stopped") may still be in the pipe at exit.
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, out, exited };
}

describe("opl devnet", () => {
  let firstNodeIds: string[] = [];

  it("starts 3 validators as real processes, lists them in devnet.json, shows heights, and stops them on Ctrl-C", async () => {
    const run = launch(["--validators", "3", "--chain-id", "opl-devnet-e2e", "--block-interval-ms", "200"]);
    const file = await waitFor(
      "devnet.json",
      () => (existsSync(join(dir, "devnet.json")) ? devnetFile() : undefined),
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${run.out.stdout}\n${run.out.stderr}`);
    });
    expect(file.chainId).toBe("opl-devnet-e2e");
    expect(file.nodes.map((n) => n.name)).toEqual(["node0", "node1", "node2"]);
    // Each node's verify workers: a share of this machine's cores.
    const workers = file.nodes.map((n) => readConfig(homePaths(n.home).config).verify.workers);
    expect(workers).toEqual(file.nodes.map(() => devnetVerifyWorkers(3, availableParallelism())));
    for (const n of file.nodes) {
      expect(alive(n.pid), `${n.name} pid ${n.pid}`).toBe(true);
      expect(n.home).toBe(join(dir, n.name));
      expect(n.rpc).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(n.p2p).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3Koo\w+$/);
    }

    const statuses = await Promise.all(
      file.nodes.map((n) => new RpcClient(n.rpc).call<{ chainId: string; nodeId: string; moniker: string }>("node_getStatus")),
    );
    expect(statuses.map((s) => s.chainId)).toEqual(["opl-devnet-e2e", "opl-devnet-e2e", "opl-devnet-e2e"]);
    expect(statuses.map((s) => s.moniker)).toEqual(["node0", "node1", "node2"]);
    firstNodeIds = statuses.map((s) => s.nodeId);
    expect(new Set(firstNodeIds).size).toBe(3);
    expect(file.nodes.map((n) => n.p2p.split("/p2p/")[1])).toEqual(firstNodeIds);

    // The configured persistent peers are right: every node ends up connected to both others.
    for (const [i, n] of file.nodes.entries()) {
      const others = firstNodeIds.filter((_, j) => j !== i).sort();
      await waitFor(`${n.name} connected to the others`, async () => {
        const peers = await new RpcClient(n.rpc).call<{ peers: { nodeId: string }[] }>("node_getPeers");
        const ids = [...new Set(peers.peers.map((p) => p.nodeId))].sort();
        return JSON.stringify(ids) === JSON.stringify(others) ? true : undefined;
      }, 60_000);
    }

    const genesisFiles = file.nodes.map((n) => readFileSync(join(n.home, "genesis.json"), "utf8"));
    expect(new Set(genesisFiles).size).toBe(1);
    const genesis = parseGenesis(JSON.parse(genesisFiles[0]));
    expect(genesis.chainId).toBe("opl-devnet-e2e");
    expect(genesis.validators).toHaveLength(3);

    await waitFor("a live height line", () =>
      /node0 h=\d+ \| node1 h=\d+ \| node2 h=\d+/.test(run.out.stdout) ? true : undefined,
    );

    // The three validators make one chain: every node reaches height 5 with the same block hashes.
    const rpcs = file.nodes.map((n) => new RpcClient(n.rpc));
    await waitFor("height 5 on every node", async () => {
      const heights = await Promise.all(rpcs.map((r) => r.call<{ latestHeight: number }>("node_getStatus")));
      return heights.every((s) => s.latestHeight >= 5) ? true : undefined;
    }, 60_000);
    for (let height = 1; height <= 5; height++) {
      const hashes = await Promise.all(rpcs.map((r) => r.call<{ hash: string }>("chain_getBlock", { height })));
      expect(new Set(hashes.map((h) => h.hash)).size, `height ${height}`).toBe(1);
    }
    expect(run.out.stdout).toMatch(/created a 3-validator devnet/);
    expect(run.out.stdout).toMatch(/node0 ready: pid \d+/);

    run.child.kill("SIGINT");
    expect(await run.exited).toBe(0);
    for (const n of file.nodes) expect(alive(n.pid), `${n.name} pid ${n.pid} after stop`).toBe(false);
    expect(run.out.stdout).toMatch(/all nodes stopped/);
    expect(existsSync(join(dir, "devnet.json"))).toBe(false);
  }, 120_000); // several real node processes: room for a loaded machine

  it("run again, restarts the same chain (same nodes), reports a node killed by pid, and stops on SIGTERM", async () => {
    const refused = await runCli(["devnet", "--dir", dir, "--validators", "4"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/holds a 3-validator devnet, not 4/);
    const tooMany = await runCli(["devnet", "--dir", dir, "--verify-workers", "65"]);
    expect(tooMany.code).not.toBe(0);
    expect(tooMany.stderr).toMatch(/--verify-workers must be at most 64, got 65/);

    const run = launch(["--verify-workers", "2"]); // as for a devnet moved to another machine
    const file = await waitFor("devnet.json", () => (existsSync(join(dir, "devnet.json")) ? devnetFile() : undefined), 60_000);
    expect(run.out.stdout).not.toMatch(/created a/);
    const ids = await Promise.all(
      file.nodes.map(async (n) => (await new RpcClient(n.rpc).call<{ nodeId: string }>("node_getStatus")).nodeId),
    );
    expect(ids).toEqual(firstNodeIds);
    for (const n of file.nodes) expect(readConfig(homePaths(n.home).config).verify.workers).toBe(2);

    process.kill(file.nodes[1].pid, "SIGKILL");
    const reported = /node1 \(pid \d+\) exited: killed by SIGKILL; the other nodes keep running/;
    await waitFor("the launcher to report node1 down", () => (reported.test(run.out.stdout) ? true : undefined), 30_000);
    expect(run.out.stdout).toContain(`opl start --home ${join(dir, "node1")}`);
    expect(alive(file.nodes[0].pid) && alive(file.nodes[2].pid)).toBe(true);

    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    for (const n of file.nodes) expect(alive(n.pid)).toBe(false);
  }, 120_000); // several real node processes: room for a loaded machine

  it("has --help", async () => {
    const r = await runCli(["devnet", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: opl devnet/);
    expect(r.stdout).toMatch(/--validators <n>/);
  });
});

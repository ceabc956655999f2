import { afterAll, describe, expect, it } from "vitest";
import { homePaths } from "../../node/config.ts";
import { readWal, Wal } from "../../node/wal.ts";
import { RpcClient } from "../../rpc/client.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { NodeProcess, runCli, setBlockInterval } from "../helpers/processes.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

const tmp = tempDir("opl-e2e-fatal-");
let node: NodeProcess | undefined;

afterAll(async () => {
  await node?.kill("SIGKILL");
  tmp.cleanup();
});

const FREE_PORTS = ["--rpc-listen", "127.0.0.1:0", "--p2p-listen", "/ip4/127.0.0.1/tcp/0", "--log-format", "json"];

describe("opl start's fatal path", () => {
  it("a fatal consensus error while starting (a diverged WAL) exits 1 with its message, never a ReferenceError", async () => {
    const home = tmp.dir;
    const init = await runCli(["init", "--home", home, "--chain-id", "opl-fatal-1"]);
    expect(init.code, init.stderr).toBe(0);
    setBlockInterval(home, 100);
    node = await NodeProcess.start(home);
    const rpc = new RpcClient(node.url);
    await waitFor("height 2", async () => ((await rpc.call<{ latestHeight: number }>("node_getStatus")).latestHeight >= 2 ? true : undefined));
    expect(await node.kill("SIGTERM")).toBe(0); // a clean stop
    node = undefined;

    // A WAL for the next height saying this validator was about to propose another block than the one it
    // will build now: the replay must refuse to sign, and the node stop.
    const paths = homePaths(home);
    const db = await ChainDb.open(paths.chainDb);
    const next = ((await db.latestHeight()) ?? 0) + 1;
    await db.close();
    readWal(paths.wal);
    const wal = Wal.open<object>(paths.wal);
    wal.reset([
      { t: "height", height: next },
      { t: "intent", step: 1, height: next, round: 0, value: "ab".repeat(32), timeMs: Date.now() },
    ]);
    wal.close();

    const run = await runCli(["start", "--home", home, ...FREE_PORTS]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/WAL replay diverged at height \d+ round 0 step 1: refusing to sign/);
    expect(run.stderr).not.toMatch(/ReferenceError|before initialization/);
  });

  it("a start-up that fails before the node runs (the RPC port in use) exits 1 with one clear line", async () => {
    const other = tempDir("opl-e2e-fatal2-");
    expect((await runCli(["init", "--home", other.dir, "--chain-id", "opl-fatal-2"])).code).toBe(0);
    const blocker = await NodeProcess.start(other.dir); // holds an RPC port
    try {
      const port = new URL(blocker.url).port;
      try {
        const run = await runCli(["start", "--home", tmp.dir, ...FREE_PORTS.slice(2), "--rpc-listen", `127.0.0.1:${port}`]);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/^error: .*(EADDRINUSE|in use)/m);
        expect(run.stderr).not.toMatch(/ReferenceError|before initialization/);
      } finally {
        other.cleanup();
      }
    } finally {
      await blocker.kill("SIGKILL");
    }
  });

  it("--help documents the signer-state override with its risk", async () => {
    const help = await runCli(["start", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--unsafe-recover-signer-state[\s\S]*RISK[\s\S]*double-sign/);
  });
});

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { nodeProcessEnv } from "../../node/node-process-env.ts";
import { RpcClient } from "../../rpc/client.ts";
import { NODE, NodeProcess, OPL, runCli, setBlockInterval } from "../helpers/processes.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * Issue 14: `opl start` on a home whose genesis streams many accounts stops promptly on SIGTERM while it builds
 * the genesis state tree (it checks between bounded chunks), leaves nothing taken for complete, and the next
 * start writes the genesis again and runs the chain.
 */
const ACCOUNTS = 60_000;
const tmp = tempDir("opl-e2e-genesis-sigterm-");
const home = tmp.dir;
let node: NodeProcess | undefined;

afterAll(async () => {
  await node?.kill("SIGTERM");
  tmp.cleanup();
});

describe("SIGTERM during the genesis tree build", () => {
  it("exits within a few seconds, cleanly, and a restart completes the genesis and runs the chain", async () => {
    const init = await runCli(["init", "--home", home, "--chain-id", "opl-sigterm-1", "--moniker", "v"]);
    expect(init.code, init.stderr).toBe(0);
    const accounts = await runCli(["genesis", "add-accounts", "--home", home, "--count", String(ACCOUNTS)], 60_000);
    expect(accounts.code, accounts.stderr).toBe(0);
    setBlockInterval(home, 200);

    const child = spawn(
      NODE,
      [OPL, "start", "--home", home, "--rpc-listen", "127.0.0.1:0", "--p2p-listen", "/ip4/127.0.0.1/tcp/0", "--log-format", "json"],
      { stdio: ["ignore", "ignore", "pipe"], env: nodeProcessEnv() },
    );
    const lines: string[] = [];
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })));
    const building = new Promise<void>((resolve) => {
      createInterface({ input: child.stderr }).on("line", (line) => {
        lines.push(line);
        if (line.includes("building the genesis state tree")) resolve();
      });
    });
    await Promise.race([building, exited.then(() => {
      throw new Error(`the node exited before building the tree:\n${lines.join("\n")}`);
    })]);
    const sent = performance.now();
    child.kill("SIGTERM");
    const { code, signal } = await exited;
    const exitMs = performance.now() - sent;
    expect({ code, signal }, lines.slice(-5).join("\n")).toEqual({ code: 0, signal: null });
    expect(exitMs, `exit took ${Math.round(exitMs)} ms`).toBeLessThan(5000);
    expect(lines.join("\n")).toMatch(/stopped before the genesis was finished.*writes it again from the start/);

    // The next start begins the genesis again (nothing half-written is taken as complete) and the chain runs.
    node = await NodeProcess.start(home, [], 90_000);
    const rpc = new RpcClient(node.url);
    await waitFor("two blocks", async () => {
      const s = await rpc.call<{ latestHeight: number }>("node_getStatus");
      return s.latestHeight >= 2 ? true : undefined;
    }, 30_000);
    const supply = await rpc.call<{ total: string }>("bank_getSupply");
    expect(BigInt(supply.total)).toBeGreaterThan(0n);
  }, 180_000);
});

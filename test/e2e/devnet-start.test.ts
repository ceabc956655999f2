import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { NODE, OPL } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

/** What `npm start` runs (with a free port instead of the default 26657): a devnet made on first run, reused after. */
const tmp = tempDir("opl-e2e-start-");
afterAll(() => tmp.cleanup());

/** Runs the start command until `blocks` status lines arrived; returns stdout lines and the heights seen. */
function runUntilBlocks(home: string, blocks: number): Promise<{ lines: string[]; heights: number[] }> {
  const child = spawn(
    NODE,
    [OPL, "start", "--home", home, "--init-if-missing", "--status", "--rpc-listen", "127.0.0.1:0", "--p2p-listen", "/ip4/127.0.0.1/tcp/0"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  const heights: number[] = [];
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no ${blocks} blocks within 20 s:\n${lines.join("\n")}\n${stderr}`));
    }, 20_000);
    createInterface({ input: child.stdout }).on("line", (line) => {
      lines.push(line);
      const m = /^height (\d+) \| block txs \d+/.exec(line);
      if (m !== null) heights.push(Number(m[1]));
      if (heights.length === blocks) {
        clearTimeout(timer);
        child.once("exit", (code) =>
          code === 0 ? resolve({ lines, heights }) : reject(new Error(`exit ${code}`)),
        );
        child.kill("SIGINT");
      }
    });
  });
}

describe("npm start: a single-validator devnet", () => {
  it("is created on first run, prints the RPC URL and a live status, makes blocks every ~1 s", async () => {
    const home = `${tmp.dir}/.devnet`;
    const first = await runUntilBlocks(home, 3);
    expect(first.lines[0]).toMatch(/created a new devnet in .*; funded key "validator": opl1/);
    expect(first.lines.join("\n")).toMatch(/JSON-RPC http:\/\/127\.0\.0\.1:\d+/);
    expect(first.heights).toEqual([1, 2, 3]);

    const second = await runUntilBlocks(home, 2);
    expect(second.lines.join("\n")).not.toMatch(/created a new devnet/);
    expect(second.heights[0]).toBeGreaterThan(3);
  });
});

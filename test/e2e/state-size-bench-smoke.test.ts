import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NODE } from "../helpers/processes.ts";
import { spawnSync } from "node:child_process";

/**
 * test/bench/state-size-bench.ts as a real process with small numbers, so it cannot rot: it must make a home
 * with an accounts file, start a validator twice, and print the restart's figures and phases.
 */
const BENCH = join(import.meta.dirname, "..", "bench", "state-size-bench.ts");

describe("state-size bench", () => {
  it("measures a restart with 500 genesis accounts: first block, phases, idle RSS", () => {
    const r = spawnSync(NODE, [BENCH, "--accounts", "500", "--blocks", "2"], { encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1) as string) as {
      accounts: number;
      restartMs: number;
      restartPhases: Record<string, number>;
      idleRssBytes: number;
    };
    expect(json.accounts).toBe(500);
    expect(json.restartMs).toBeGreaterThan(0);
    expect(Object.keys(json.restartPhases)).toEqual(
      expect.arrayContaining(["bootMs", "openedAtMs", "identityMs", "stateLoadMs", "heapMB"]),
    );
    expect(json.idleRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(r.stdout).toMatch(/command: npx node test\/bench\/state-size-bench.ts --accounts 500 --blocks 2/);
  });
});

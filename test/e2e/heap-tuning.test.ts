import { afterAll, expect, test } from "vitest";
import { OLD_SPACE_GROWTH_PERCENT } from "../../node/heap-tuning.ts";
import { NodeProcess, runCli } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

const tmp = tempDir("opl-e2e-heap-");
let node: NodeProcess | undefined;

afterAll(async () => {
  await node?.kill("SIGKILL");
  tmp.cleanup();
});

test("opl start applies the node's old-space growth limit (node/heap-tuning.ts) before it starts the node", async () => {
  expect((await runCli(["init", "--home", tmp.dir, "--chain-id", "opl-heap-1"])).code).toBe(0);
  node = await NodeProcess.start(tmp.dir);
  const tuning = node.logLines
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { msg?: string; oldSpaceGrowthPercent?: unknown })
    .find((e) => e.msg === "V8 heap tuning");
  expect(tuning?.oldSpaceGrowthPercent).toBe(OLD_SPACE_GROWTH_PERCENT);
});

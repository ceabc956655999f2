import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "vitest";
import { NODE_FLAGS } from "../../node/node-process-env.ts";
import { NODE } from "../helpers/processes.ts";

/**
 * A node runs one signature-verify worker per core (up to 4) by default ([verify] workers; a devnet's nodes get a
 * share of the cores), each a V8 isolate of its own; what one costs
 * is resident memory every node pays. Measured in a fresh process (test/helpers/verify-pool-rss.ts) with the
 * node's own young-generation flag: a worker loaded from a .ts file cost 24-28 MB (Node's type stripper
 * started again inside it), from plain JavaScript 14-16 MB.
 */
const MAX_MB_PER_WORKER = 20;

test("each signature-verify worker adds at most 20 MB to a node's resident memory", () => {
  const out = execFileSync(
    NODE,
    [...NODE_FLAGS, join(import.meta.dirname, "../helpers/verify-pool-rss.ts"), "2"],
    { encoding: "utf8", timeout: 30_000 },
  );
  const { allValid, perWorkerMb } = JSON.parse(out) as { allValid: boolean; perWorkerMb: number };
  expect(allValid).toBe(true);
  expect(perWorkerMb).toBeLessThanOrEqual(MAX_MB_PER_WORKER);
});

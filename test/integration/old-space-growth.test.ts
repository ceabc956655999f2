import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "vitest";
import { applyNodeHeapTuning, OLD_SPACE_GROWTH_PERCENT } from "../../node/heap-tuning.ts";
import { NODE_FLAGS } from "../../node/node-process-env.ts";
import { NODE } from "../helpers/processes.ts";

/**
 * A node's old space is mostly promoted garbage (decoded transactions that leave the mempool within a block or
 * two). Left to V8, the old space grew to 5.4x what was live before a full GC collected it (235 MB over 43 MB
 * in test/helpers/old-space-growth.ts's mempool-like churn); with the node's heap tuning
 * (node/heap-tuning.ts) 2.8x (121 MB). The bound sits between the two.
 */
const MAX_OLD_SPACE_OVER_LIVE = 3.5;

function churn(mode: "tuned" | "plain"): { peakOldMb: number; liveOldMb: number } {
  const out = execFileSync(
    NODE,
    ["--expose-gc", ...NODE_FLAGS, join(import.meta.dirname, "../helpers/old-space-growth.ts"), mode],
    { encoding: "utf8", timeout: 60_000 },
  );
  return JSON.parse(out) as { peakOldMb: number; liveOldMb: number };
}

test("with the node's heap tuning, old space stays within 3.5x of what is live under mempool-like churn", () => {
  const { peakOldMb, liveOldMb } = churn("tuned");
  expect(liveOldMb).toBeGreaterThan(20); // the ring really was live: the ratio means something
  expect(peakOldMb).toBeLessThanOrEqual(liveOldMb * MAX_OLD_SPACE_OVER_LIVE);
});

test("a --heap-growing-percent given on the command line or in NODE_OPTIONS wins over the node's", () => {
  expect(applyNodeHeapTuning(["--heap-growing-percent=20"], undefined)).toBeUndefined();
  expect(applyNodeHeapTuning([], "--max-old-space-size=512 --heap-growing-percent=20")).toBeUndefined();
  // V8 takes the flag with underscores too: still the operator's value.
  expect(applyNodeHeapTuning(["--heap_growing_percent=20"], undefined)).toBeUndefined();
  expect(applyNodeHeapTuning([], "--heap_growing_percent=20")).toBeUndefined();
});

test("without one given, the node's own growth percent is set", () => {
  expect(applyNodeHeapTuning([], undefined)).toBe(OLD_SPACE_GROWTH_PERCENT);
});

import { setFlagsFromString } from "node:v8";

/**
 * How far V8 lets the old generation grow past what survived the last full GC before it collects again, in
 * percent: the next full GC starts at (1 + OLD_SPACE_GROWTH_PERCENT / 100) x the live old space (plus V8's
 * minimum step of a few MB). V8 chooses the factor itself, up to 4x, and a node's old space is mostly
 * short-lived promoted garbage (decoded transactions that leave the mempool within a block or two, RPC batches,
 * executed blocks): at 4x a loaded node carried 70-150 MB of old space over 35-50 MB live, and the ArrayBuffers
 * that garbage held (transaction bytes, ~25-45 MB of `external`) with it, malloc'd outside the heap.
 *
 * 50, measured in three 1-validator `npm run bench` pairs run side by side with the probe
 * (test/bench/memory-probe.ts): peak RSS 385 -> 273, 355 -> 281 and 361 -> 277 MB (old space at the peak
 * 115 -> 37 MB, external 64 -> 20 MB in the first), and node CPU for the same transfers 0.97x in each pair (GC
 * pauses 6.5 -> 5.7 s in the first). The README's Memory section has the 4-validator runs.
 */
export const OLD_SPACE_GROWTH_PERCENT = 50;

const FLAG = "--heap-growing-percent";

/**
 * Applies the node's V8 heap settings to this process (V8 reads the growth factor at every full GC, so
 * setting it at start-up is as good as the command line). A `--heap-growing-percent` given on the command
 * line or in NODE_OPTIONS wins. Returns the percent it set, or undefined when the given one won.
 */
export function applyNodeHeapTuning(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
): number | undefined {
  // V8 reads `_` and `-` in flag names alike: `--heap_growing_percent=80` is the operator's value too.
  const given = (text: string) => text.replaceAll("_", "-").includes(FLAG);
  if (execArgv.some((a) => given(a.split("=")[0])) || given(nodeOptions ?? "")) return undefined;
  setFlagsFromString(`${FLAG}=${OLD_SPACE_GROWTH_PERCENT}`);
  return OLD_SPACE_GROWTH_PERCENT;
}

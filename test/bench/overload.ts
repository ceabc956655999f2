import type { LoadResult } from "./load.ts";

/**
 * The issue's "offered twice what the network can commit, it keeps committing at no less than 90% of its
 * peak rate", measured in one invocation (`npm run bench -- --validators 4 --saturation --overload`): the
 * saturation search finds what this devnet commits (its steps' committed rates, the highest being the peak),
 * then one more step offers twice the saturation point on the same devnet, and the committed rate under that
 * load is divided by the peak.
 *
 * Every step's committed rate is read the same way, in steady state: the txs of the step committed between
 * the end of a warm-up (the chain filling its pipeline: the first blocks of a step are still small, and a
 * failed step's leftovers may commit) and the end of the step's offer, per second. At a passing step that is
 * the offered rate; under overload, what the chain commits while the excess is refused.
 */

/** The warm-up excluded from a step's committed rate: STEADY_WARMUP_MS, but at most half the step. */
export const STEADY_WARMUP_MS = 5_000;

export function warmupMs(stepMs: number): number {
  return Math.min(STEADY_WARMUP_MS, stepMs / 2);
}

/** This load's txs committed per second between its warm-up's end and `offerMs` after its start. */
export function steadyTxPerSec(load: Pick<LoadResult, "startedAt" | "commitTimes">, offerMs: number): number {
  const from = load.startedAt + warmupMs(offerMs);
  const to = load.startedAt + offerMs;
  const n = load.commitTimes.filter((t) => t >= from && t < to).length;
  return Math.round((n * 1000) / (to - from));
}

/** The overload figure: the committed rate at 2x over the peak, and over the saturation point. */
export function overloadRatios(p: { overloadTxPerSec: number; peakTxPerSec: number; saturationTxPerSec: number }) {
  return {
    overloadPerPeak: Number((p.overloadTxPerSec / Math.max(1, p.peakTxPerSec)).toFixed(3)),
    overloadPerSaturation: Number((p.overloadTxPerSec / Math.max(1, p.saturationTxPerSec)).toFixed(3)),
  };
}

/**
 * The saturation point of one devnet: the highest offered rate that commits everything with p99 within the
 * limit. The offered rate steps up from `start` by `step` (each step a short run on the same devnet) until a
 * step fails, the next rate passes `max`, or no whole step fits before the deadline. A failed step leaves a
 * backlog behind, so the search stops there rather than bisect on a devnet no longer in the same state.
 */

export interface StepOutcome {
  offeredTxPerSec: number;
  ok: boolean;
}

export interface SaturationResult<S extends StepOutcome> {
  steps: S[];
  /** The highest passing offered rate, or null when even the first step failed. */
  saturationTxPerSec: number | null;
  /** Why the search stopped. */
  stoppedBy: "failed step" | "max rate" | "deadline";
}

export async function findSaturation<S extends StepOutcome>(p: {
  start: number;
  step: number;
  max: number;
  deadline: number;
  /** How long one step may take at most (load + time to commit): no step starts that could not end in time. */
  stepBudgetMs: number;
  runStep: (rate: number) => Promise<S>;
}): Promise<SaturationResult<S>> {
  const steps: S[] = [];
  let best: number | null = null;
  for (let rate = p.start; ; rate += p.step) {
    if (rate > p.max) return { steps, saturationTxPerSec: best, stoppedBy: "max rate" };
    if (Date.now() + p.stepBudgetMs > p.deadline) return { steps, saturationTxPerSec: best, stoppedBy: "deadline" };
    const outcome = await p.runStep(rate);
    steps.push(outcome);
    if (!outcome.ok) return { steps, saturationTxPerSec: best, stoppedBy: "failed step" };
    best = rate;
  }
}

/** Each paced client sends at least this many batches per second in a step, so a short step is evenly offered. */
const STEP_BATCHES_PER_SEC = 2;

/** The bench's --batch at most, and small enough that each paced client sends `perSecond` batches a second. */
function evenBatch(rate: number, concurrency: number, maxBatch: number, perSecond: number): number {
  return Math.max(1, Math.min(maxBatch, Math.ceil(rate / concurrency / perSecond)));
}

/**
 * The batch size of one paced run (not a saturation step): at least one batch a second per client. With --batch
 * 250 and 8 clients a rate below 2,000 tx/s gave a client fewer: at 20 tx/s one batch each, the clients
 * staggered over 100 s, so the run offered ~7 tx/s. From 2,000 tx/s up, the batch is --batch as before.
 * Unpaced (rate 0): --batch.
 */
export function pacedBatch(rate: number, concurrency: number, maxBatch: number): number {
  return rate <= 0 ? maxBatch : evenBatch(rate, concurrency, maxBatch, 1);
}

/** The batch size of a step: small enough that the clients stay evenly paced over a short step. */
export function stepBatch(rate: number, concurrency: number, maxBatch: number): number {
  return evenBatch(rate, concurrency, maxBatch, STEP_BATCHES_PER_SEC);
}

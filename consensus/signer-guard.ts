/**
 * The double-sign rule, as a pure function: given the last thing a key signed and a new request, may it
 * sign? Steps are ordered propose < prevote < precommit within a round. Anything at or below the last
 * signed (height, round, step) is refused unless it is the very same request, which is re-signed (a
 * restarted node replaying its WAL asks again for what it already signed). The node persists `last`
 * durably before releasing a signature (node/ code); the simulator keeps it across simulated crashes.
 */
export const STEP_PROPOSE = 1;
export const STEP_PREVOTE = 2;
export const STEP_PRECOMMIT = 3;

export interface SignedRecord {
  height: number;
  round: number;
  step: number;
  /** What was signed, canonical (for the simulator: a string naming the value). */
  payload: string;
}

export type GuardDecision = { sign: true; resign: boolean } | { sign: false; reason: string };

export function checkSignRequest(last: SignedRecord | undefined, req: SignedRecord): GuardDecision {
  if (last === undefined) return { sign: true, resign: false };
  const cmp = req.height - last.height || req.round - last.round || req.step - last.step;
  if (cmp > 0) return { sign: true, resign: false };
  if (cmp === 0 && req.payload === last.payload) return { sign: true, resign: true };
  return {
    sign: false,
    reason:
      cmp === 0
        ? `conflicting request at height ${req.height} round ${req.round} step ${req.step}: already signed something else`
        : `request at height ${req.height} round ${req.round} step ${req.step} is behind the last signed (${last.height}/${last.round}/${last.step})`,
  };
}

import { PPM } from "../../params.ts";

/**
 * How one inference fee is divided: pure bigint arithmetic, no state. Every share is rounded down, and the
 * treasury takes whatever is left, so the parts always add up to exactly the fee and no rounding ever pays
 * anyone more than their ppm says.
 */

const PPM_N = BigInt(PPM);

/** One attribution weight, with the contributions that share its part resolved by the caller. */
export interface SplitWeight {
  /** Parts per million of the data share. */
  ppm: number;
  /**
   * Contribution ids that divide this weight's part equally: one id for a contribution weight; the unslashed
   * contributions of the version for a whole-version weight. An empty list sends the part to the treasury.
   */
  recipients: readonly number[];
}

export interface SplitPart {
  /** Index of the weight (in the input) this part comes from. */
  weight: number;
  contributionId: number;
  amount: bigint;
}

export interface FeeSplit {
  /** Protocol share, unattributed data share, and all rounding dust. */
  treasury: bigint;
  /** To the model owner. */
  owner: bigint;
  /** Positive amounts only, in weight order then recipient order (deterministic). */
  parts: SplitPart[];
}

/** floor(amount * ppm / 1e6). */
export function ppmOf(amount: bigint, ppm: number): bigint {
  return (amount * BigInt(ppm)) / PPM_N;
}

/**
 * Splits `fee` into the protocol share, the owner share and the data share; divides the data share among the
 * weights. Throws a plain Error for inputs the callers must never pass (negative fee, shares over 100%):
 * those are bugs, not transaction failures.
 */
export function splitFee(
  fee: bigint,
  protocolPpm: number,
  ownerPpm: number,
  weights: readonly SplitWeight[],
): FeeSplit {
  checkSplitInputs(fee, protocolPpm, ownerPpm, weights);
  const protocol = ppmOf(fee, protocolPpm);
  const owner = ppmOf(fee, ownerPpm);
  const data = fee - protocol - owner;
  const parts: SplitPart[] = [];
  let credited = 0n;
  weights.forEach((w, index) => {
    if (w.recipients.length === 0) return; // nobody to pay: the part stays with the treasury
    const each = ppmOf(data, w.ppm) / BigInt(w.recipients.length);
    if (each === 0n) return;
    for (const contributionId of w.recipients) {
      parts.push({ weight: index, contributionId, amount: each });
      credited += each;
    }
  });
  return { treasury: fee - owner - credited, owner, parts };
}

function checkSplitInputs(fee: bigint, protocolPpm: number, ownerPpm: number, weights: readonly SplitWeight[]) {
  if (fee < 0n) throw new Error(`splitFee: negative fee ${fee}`);
  if (!isPpm(protocolPpm) || !isPpm(ownerPpm) || protocolPpm + ownerPpm > PPM) {
    throw new Error(`splitFee: shares ${protocolPpm} + ${ownerPpm} ppm exceed ${PPM}`);
  }
  let sum = 0;
  for (const w of weights) {
    if (!isPpm(w.ppm)) throw new Error(`splitFee: weight of ${w.ppm} ppm`);
    sum += w.ppm;
  }
  if (sum > PPM) throw new Error(`splitFee: weights sum to ${sum} ppm`);
}

function isPpm(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0 && n <= PPM;
}

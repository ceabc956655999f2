import { type Contribution, type InferencePayouts, inferencePayoutsCodec, type Model } from "../../../proto/module-records.ts";
import { idKey, MODULE_PREFIX, PRESENT, stateKey } from "../../keys.ts";
import type { Overlay, StateReader } from "../../view.ts";
import type { FeeSplit, SplitWeight } from "./split.ts";
import { getContribution } from "../datanets/datanets.ts";
import { inferencePayoutsKey } from "./keys.ts";

/**
 * The attribution trail of a record_inference, kept in the state at record time: every credit it made (the
 * treasury's, the model owner's, each contribution's with its contributor), so "who earned how much from
 * inference X" is one read, provable against a header, and never recomputed from params or versions that may
 * have changed since. Its size is bounded by the record's recipient limit (params.maxVersionRecipients credits
 * plus the treasury and the owner). And the by-contribution index of every contribution a record credited,
 * through a whole-version weight too, bounded by the same limit.
 */

export function getInferencePayouts(view: StateReader, inferenceId: number): InferencePayouts | undefined {
  const raw = view.get(inferencePayoutsKey(inferenceId));
  return raw === undefined ? undefined : inferencePayoutsCodec.decode(raw);
}

/**
 * Stores a record's split as credited: call after the split is paid out (its contributions as the record
 * read them, in `read`; any other is read here).
 */
export function storePayouts(
  view: Overlay,
  inference: { id: number; price: bigint },
  model: Model,
  split: FeeSplit,
  read: ReadonlyMap<number, Contribution> = new Map(),
): void {
  const credits = split.parts.map((part) => {
    const c = read.get(part.contributionId) ?? getContribution(view, part.contributionId);
    if (c === undefined) throw new Error(`contribution ${part.contributionId} vanished during a split`); // a bug
    return { weight: part.weight, contributionId: c.id, contributor: c.contributor, amount: part.amount };
  });
  const payouts: InferencePayouts = {
    inferenceId: inference.id,
    modelId: model.id,
    price: inference.price,
    treasury: split.treasury,
    owner: model.owner,
    ownerAmount: split.owner,
    credits,
  };
  view.set(inferencePayoutsKey(inference.id), inferencePayoutsCodec.encode(payouts));
}

/**
 * Indexes the inference under every contribution its weights name, directly or as one of a whole version's
 * recipients (att/bycontrib/), so attribution_listInferences by contribution finds both.
 */
export function indexCreditedContributions(view: Overlay, inferenceId: number, weights: readonly SplitWeight[]): void {
  for (const w of weights) {
    for (const contributionId of w.recipients) {
      view.set(stateKey(MODULE_PREFIX.inferencesByContribution, idKey(contributionId), idKey(inferenceId)), PRESENT);
    }
  }
}

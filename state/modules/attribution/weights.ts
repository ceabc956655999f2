import type { AttributionWeight, DatanetVersionRef } from "../../../proto/module-msgs.ts";
import type { Contribution, DatanetVersion, Model } from "../../../proto/module-records.ts";
import type { BlockContext } from "../../block-context.ts";
import { TxError } from "../../errors.ts";
import type { AttributionParams } from "../../params.ts";
import type { StateReader } from "../../view.ts";
import {
  acceptedContributionId,
  contributionInVersion,
  getContribution,
  getDatanetVersion,
} from "../datanets/datanets.ts";
import { trainedOnOf } from "../models/models.ts";
import type { SplitWeight } from "./split.ts";

/**
 * The contributions a record's weights credit (state/modules/attribution/attribution.ts record_inference), and a
 * treasury grant's: each weight checked against the model's lineage, every check that can fail made and the
 * record's credits paid for and taken from the block's budget before a whole version's contributions are read,
 * each of those read once.
 */

/**
 * Checks each weight against the model's lineage and lists the contributions that share its part. Before any
 * contribution of a whole version is read, the record's total recipients (one per contribution weight, every
 * item of each whole version, slashed ones included: each is read) must be within maxVersionRecipients, the
 * most reward credits one record makes: a record's work is bounded by that, not by weights times version size.
 */
export function resolveWeights(
  view: StateReader,
  model: Model,
  weights: readonly AttributionWeight[],
  params: AttributionParams,
  ctx: BlockContext,
  read: ContributionsRead,
): SplitWeight[] {
  const lineage = trainedOnOf(view, model);
  const latest = latestVersions(lineage);
  const versions = weights.map((w) =>
    w.contributionId > 0 ? undefined : requireLineageVersion(view, model, lineage, w),
  );
  const credits = checkRecipientCount(versions, params);
  takeBlockCredits(ctx, credits, params);
  // Every check that can fail comes before a whole version's contributions are read: the single
  // contributions first (one read each), then the versions.
  const single = weights.map((w) =>
    (w.contributionId > 0 ? checkContributionWeight(view, model, latest, w.contributionId, read) : 0));
  return weights.map((w, i) => ({
    ppm: w.ppm,
    recipients: w.contributionId > 0 ? [single[i]] : versionRecipients(view, versions[i] as DatanetVersion, read),
  }));
}

/**
 * The highest version of each datanet in a lineage, by datanet. A version's count is above the previous
 * version's (publish_version refuses otherwise), so a contribution is in some lineage version of its datanet
 * if and only if it is in the highest one: one version read per contribution weight.
 */
function latestVersions(lineage: readonly DatanetVersionRef[]): Map<number, DatanetVersionRef> {
  const latest = new Map<number, DatanetVersionRef>();
  for (const ref of lineage) {
    const seen = latest.get(ref.datanetId);
    if (seen === undefined || ref.version > seen.version) latest.set(ref.datanetId, ref);
  }
  return latest;
}

/**
 * A block's budget of reward credits (params.maxBlockCredits): the fee is flat, so without it a block full of
 * records of maxVersionRecipients credits each would take tens of seconds on every node. A record over the
 * budget fails (its fee is paid) and can be sent again for a later block.
 */
function takeBlockCredits(ctx: BlockContext, credits: number, params: AttributionParams): void {
  if (ctx.work === undefined) return;
  // The record pays for its credits: at least feePerCredit each (the fee is otherwise flat, and a block's
  // credit budget must not be cheap to buy up). Checked here, before any contribution is read: checked after
  // the message ran, a record failing it had read and credited a whole version's contributions for its flat
  // fee, and a block of them (the same paid inference each time) cost ~100 times the work charged.
  const fee = ctx.work.txFee;
  const needed = params.feePerCredit * BigInt(credits);
  if (fee < needed) {
    throw new TxError(
      "FEE_TOO_LOW",
      `this record makes ${credits} reward credits, which need a fee of at least ${needed}; the fee is ${fee}`,
      { needed: needed.toString() },
    );
  }
  const used = ctx.work.credits;
  if (used + credits > params.maxBlockCredits) {
    throw new TxError(
      "LIMIT_EXCEEDED",
      `this block's reward credits are used up (${used} of ${params.maxBlockCredits}; this record needs ` +
      `${credits}): send it again for a later block`,
    );
  }
  ctx.work.credits = used + credits;
}

/** A record's (or a grant's) credits: one per contribution weight, one per item of each whole version, checked. */
export function checkRecipientCount(
  versions: readonly (DatanetVersion | undefined)[],
  params: AttributionParams,
): number {
  let total = 0;
  let largest: DatanetVersion | undefined;
  for (const v of versions) {
    total += v === undefined ? 1 : v.count;
    if (v !== undefined && (largest === undefined || v.count > largest.count)) largest = v;
  }
  const max = params.maxVersionRecipients;
  if (total <= max) return total;
  const detail = largest === undefined
    ? ""
    : ` (datanet ${largest.datanetId} version ${largest.version} alone has ${largest.count} contributions)`;
  throw new TxError(
    "LIMIT_EXCEEDED",
    `the weights would credit ${total} contributions${detail}; one record credits at most ${max}`,
  );
}

function checkContributionWeight(
  view: StateReader,
  model: Model,
  latest: ReadonlyMap<number, DatanetVersionRef>,
  contributionId: number,
  read: ContributionsRead,
): number {
  const c = getContribution(view, contributionId);
  if (c === undefined) throw new TxError("NOT_FOUND", `contribution ${contributionId} does not exist`);
  read.set(c.id, c);
  if (c.status === "slashed") throw new TxError("ATTRIBUTION_INVALID", `contribution ${c.id} was slashed`);
  if (!inLineage(view, latest, c)) {
    throw new TxError(
      "ATTRIBUTION_INVALID",
      `contribution ${c.id} is not in any datanet version model ${model.id} was trained on`,
    );
  }
  return c.id;
}

function inLineage(view: StateReader, latest: ReadonlyMap<number, DatanetVersionRef>, c: Contribution): boolean {
  const ref = latest.get(c.datanetId);
  const v = ref === undefined ? undefined : getDatanetVersion(view, ref.datanetId, ref.version);
  return v !== undefined && contributionInVersion(c, v);
}

/** The version a whole-version weight names, refused unless the model's lineage includes it. */
function requireLineageVersion(
  view: StateReader,
  model: Model,
  lineage: readonly DatanetVersionRef[],
  w: AttributionWeight,
): DatanetVersion {
  const name = `datanet ${w.datanetId} version ${w.version}`;
  if (!lineage.some((ref) => ref.datanetId === w.datanetId && ref.version === w.version)) {
    throw new TxError("ATTRIBUTION_INVALID", `${name} is not one model ${model.id} was trained on`);
  }
  const v = getDatanetVersion(view, w.datanetId, w.version);
  if (v === undefined) throw new TxError("NOT_FOUND", `${name} does not exist`);
  return v;
}

/** The unslashed contributions of a whole-version weight's version, in acceptance order (kept in `read`). */
export function versionRecipients(view: StateReader, v: DatanetVersion, read?: ContributionsRead): number[] {
  const ids: number[] = [];
  for (let i = 0; i < v.count; i++) {
    const id = acceptedContributionId(view, v.datanetId, i);
    const c = id === undefined ? undefined : (read?.get(id) ?? getContribution(view, id));
    if (c === undefined || c.status === "slashed") continue;
    ids.push(c.id);
    read?.set(c.id, c);
  }
  return ids;
}

/**
 * The contributions a record read, by id: each is decoded once per record and its contributor and datanet
 * taken from here by the payout and its stored trail. Each was decoded three times (a record of up to ~5 KB
 * of uri and metadata each time): an audit helper measured 72-188 us per credit, where maxBlockCredits was
 * set for ~20.
 */
export type ContributionsRead = Map<number, Contribution>;

/** A contribution of `read`, or from the state (a bug if it vanished). */
export function contributionOf(view: StateReader, id: number, read: ReadonlyMap<number, Contribution>): Contribution {
  const c = read.get(id) ?? getContribution(view, id);
  if (c === undefined) throw new Error(`contribution ${id} vanished during a split`); // a bug
  return c;
}

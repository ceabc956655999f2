import { encodeAddress } from "../../../crypto/address.ts";
import {
  type UnbondingEntry,
  type UnbondingGroup,
  unbondingGroupCodec,
  unbondingListCodec,
} from "../../../proto/module-records.ts";
import type { TxEvent } from "../../../proto/records.ts";
import { idKey, MODULE_PREFIX, stateKey } from "../../keys.ts";
import { PPM, type StakingParams } from "../../params.ts";
import type { Overlay } from "../../view.ts";
import { getAccount, setAccount } from "../bank/bank.ts";
import { event } from "../common.ts";
import { type SeqList, seqClear, seqPush, seqValues } from "../seq-list.ts";
import { unbondingGroupKey } from "./keys.ts";
import { addPool } from "./pool.ts";
import { getUnbondingGroup, unbondingEntries } from "./queries.ts";

/**
 * Unbonding: stake unstaked from a validator is paid out unbondingBlocks later, and until the evidence window
 * is past it can still be slashed for an equivocation it helped sign. Each entry is kept three ways: in its
 * delegator's list (what they are owed), in the queue of its completion height (who completes when), and in
 * the total of its group, the entries that left one validator at one height.
 *
 * A slash cuts groups, not entries: one read and one write per height of the evidence window, however many
 * unstaked. Cutting each entry let a validator about to publish its own equivocation have tens of thousands of
 * addresses unstake from it first, for a few OPEN of fees, and make that block's beginBlock take tens of
 * seconds on every node. Completion then withholds from each entry its share of its group's cut.
 */

/** Most unbonding entries one address may have in flight (each is a state write when it completes). */
export const MAX_UNBONDING_ENTRIES = 32;

const COMPLETION_QUEUE: SeqList = {
  entries: MODULE_PREFIX.stakingUnbondingQueue,
  counts: MODULE_PREFIX.stakingUnbondingQueueCount,
};

function setUnbonding(view: Overlay, delegator: Uint8Array, entries: UnbondingEntry[]): void {
  const key = stateKey(MODULE_PREFIX.stakingUnbonding, delegator);
  if (entries.length === 0) {
    if (view.get(key) !== undefined) view.delete(key);
  } else view.set(key, unbondingListCodec.encode(entries));
}

function setGroup(view: Overlay, operator: Uint8Array, creationHeight: number, group: UnbondingGroup): void {
  view.set(unbondingGroupKey(operator, creationHeight), unbondingGroupCodec.encode(group));
}

/** Adds `entry` to its delegator's list (`entries`, as read), its completion height's queue and its group. */
export function startUnbonding(view: Overlay, entries: readonly UnbondingEntry[], entry: UnbondingEntry): void {
  setUnbonding(view, entry.delegator, [...entries, entry]);
  seqPush(view, COMPLETION_QUEUE, idKey(entry.completionHeight), entry.delegator);
  const group = getUnbondingGroup(view, entry.validator, entry.creationHeight) ??
    { total: 0n, slashed: 0n, completed: 0n };
  setGroup(view, entry.validator, entry.creationHeight, { ...group, total: group.total + entry.amount });
}

/**
 * Slashes the stake that left `operator` from the block before the infraction on and is still unbonding: stake
 * that helped sign the equivocation cannot escape by unstaking before the evidence lands. Such entries
 * complete at (creation + unbondingBlocks) >= infraction - 1 + unbondingBlocks, and genesis keeps
 * unbondingBlocks above maxEvidenceAgeBlocks, so they are all still queued: at most maxEvidenceAgeBlocks + 2
 * groups to cut. Returns what was taken (the caller moves it from the unbonding pool to the treasury).
 */
export function slashUnbonding(
  view: Overlay,
  operator: Uint8Array,
  infractionHeight: number,
  height: number,
  params: StakingParams,
): bigint {
  let taken = 0n;
  const ppm = BigInt(params.slashDoubleSignPpm);
  // The set that signed at the infraction height was fixed at the end of the block two before it, so stake
  // unstaked in the block before still had its power then.
  const firstCreation = Math.max(infractionHeight - 1, height - params.maxEvidenceAgeBlocks - 1);
  for (let created = firstCreation; created <= height; created++) {
    const group = getUnbondingGroup(view, operator, created);
    if (group === undefined) continue;
    // Of what earlier slashes left: a tombstoned validator is slashed once, but this need not assume it.
    const cut = ((group.total - group.slashed) * ppm) / BigInt(PPM);
    if (cut === 0n) continue;
    setGroup(view, operator, created, { ...group, slashed: group.slashed + cut });
    taken += cut;
  }
  return taken;
}

/** Unbondings that complete at this height pay out, each less its share of what slashes took from its group. */
export function completeUnbonding(view: Overlay, height: number): TxEvent[] {
  const delegators = seqValues(view, COMPLETION_QUEUE, idKey(height));
  if (delegators.length === 0) return [];
  seqClear(view, COMPLETION_QUEUE, idKey(height));
  const events: TxEvent[] = [];
  for (const delegator of delegators) {
    const entries = unbondingEntries(view, delegator);
    let total = 0n;
    const keep: UnbondingEntry[] = [];
    for (const e of entries) {
      if (e.completionHeight <= height) total += payOut(view, e);
      else keep.push(e);
    }
    if (keep.length !== entries.length) setUnbonding(view, delegator, keep); // even entries slashed to zero
    if (total === 0n) continue;
    const account = getAccount(view, delegator);
    setAccount(view, delegator, { ...account, balance: account.balance + total });
    addPool(view, 0n, -total);
    events.push(event("unbonding_complete", { delegator: encodeAddress(delegator), amount: total.toString() }));
  }
  return events;
}

/**
 * What a completing entry pays: its amount less its share of its group's cut. The share is the cut owed by the
 * group's completed amount after this entry less that owed before it, so the shares add up to exactly the
 * group's cut however each rounds (none is off its proportion by more than a base unit). The group's key goes
 * with its last entry.
 */
function payOut(view: Overlay, e: UnbondingEntry): bigint {
  const group = getUnbondingGroup(view, e.validator, e.creationHeight);
  const completed = (group?.completed ?? 0n) + e.amount;
  if (group === undefined || completed > group.total) {
    throw new Error(
      `the unbonding group of ${encodeAddress(e.validator)} at height ${e.creationHeight} does not hold an ` +
      "entry that names it: corrupt state",
    );
  }
  const cut = (completed * group.slashed) / group.total - (group.completed * group.slashed) / group.total;
  if (completed === group.total) view.delete(unbondingGroupKey(e.validator, e.creationHeight));
  else setGroup(view, e.validator, e.creationHeight, { ...group, completed });
  return e.amount - cut;
}

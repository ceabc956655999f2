import { addressFromPublicKey } from "../../../crypto/address.ts";
import { compareBytes, equalBytes, readU64be, u64be } from "../../../crypto/bytes.ts";
import { decodeValidatorSet, encodeValidatorSet, type Validator } from "../../../proto/block.ts";
import type { TxEvent } from "../../../proto/records.ts";
import type { BlockContext } from "../../block-context.ts";
import { MODULE_PREFIX } from "../../keys.ts";
import type { ChainParams, StakingParams } from "../../params.ts";
import type { Overlay, StateReader } from "../../view.ts";
import { event } from "../common.ts";
import { validatorSetKey } from "./keys.ts";
import { getCandidates, getValidator, isJailed, votingPower } from "./staking.ts";

/**
 * The validator set consensus runs with, as staking decides it: the set of height H + 2 is decided at the end
 * of block H (as in Tendermint), since a block's header already names the sets of its own height and the
 * next. A set is written only when it differs from the one in force.
 */

/** Voting power stays far below 2^53 / 3 in total, so the engine's integer quorum arithmetic is exact. */
const MAX_TOTAL_POWER = 2n ** 50n;

/** Height of the latest validator set entry (the set in force from then on), 0 before genesis. */
export function latestSetHeight(view: StateReader): number {
  const raw = view.get(MODULE_PREFIX.stakingValidatorSetLatest);
  return raw === undefined ? 0 : readU64be(raw);
}

export function validatorSetAt(view: StateReader, fromHeight: number): Validator[] | undefined {
  const raw = view.get(validatorSetKey(fromHeight));
  return raw === undefined ? undefined : decodeValidatorSet(raw);
}

/**
 * The end-of-block part of staking that schedules the set of height + 2 from the stakes as they now stand;
 * keeps the last set when no validator has power left.
 */
export function scheduleNextValidatorSet(view: Overlay, ctx: BlockContext): TxEvent[] {
  const events: TxEvent[] = [];
  const next = computeValidatorSet(view, ctx.params.staking);
  const latest = latestSetHeight(view);
  const current = validatorSetAt(view, latest);
  if (next.length === 0) {
    // No validator is left with power (all jailed, slashed or unstaked): keep the last set rather than halt
    // with none. The chain then depends on it until someone stakes or unjails; say so every block.
    events.push(event("validator_set_empty", { kept_from_height: String(latest) }));
  } else if (current === undefined || !sameSet(current, next)) {
    writeValidatorSet(view, ctx.height + 2, next);
    events.push(event("validator_set", { from_height: String(ctx.height + 2), validators: String(next.length) }));
  }
  return events;
}

/**
 * The top `maxValidators` unjailed validators with voting power, by power (then consensus address), each
 * power clamped so the total stays exact in the engine's arithmetic.
 */
export function computeValidatorSet(view: StateReader, params: StakingParams): Validator[] {
  const ranked: Validator[] = [];
  const cap = MAX_TOTAL_POWER / BigInt(Math.max(1, params.maxValidators));
  for (const operator of getCandidates(view)) {
    const v = getValidator(view, operator);
    if (v === undefined || isJailed(v)) continue;
    let power = votingPower(v, params);
    if (power <= 0n) continue;
    if (power > cap) power = cap;
    ranked.push({ address: addressFromPublicKey(v.consensusPubkey), pubkey: v.consensusPubkey, power: Number(power) });
  }
  ranked.sort((a, b) => b.power - a.power || compareBytes(a.address, b.address));
  return ranked.slice(0, params.maxValidators);
}

function sameSet(a: readonly Validator[], b: readonly Validator[]): boolean {
  return equalBytes(encodeValidatorSet(a), encodeValidatorSet(b));
}

function writeValidatorSet(view: Overlay, fromHeight: number, set: Validator[]): void {
  view.set(validatorSetKey(fromHeight), encodeValidatorSet(set));
  view.set(MODULE_PREFIX.stakingValidatorSetLatest, u64be(fromHeight));
}

/** Genesis: the set of height 1 (and, unchanged, of height 2) from the validators genesis created. */
export function scheduleInitialValidatorSet(view: Overlay, params: ChainParams): void {
  const set = computeValidatorSet(view, params.staking);
  if (set.length === 0) throw new Error("genesis has no validator with voting power");
  writeValidatorSet(view, 1, set);
}

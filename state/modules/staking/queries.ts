/**
 * What RPC, the node and the other modules may read of staking (as gov/queries.ts for governance): validators,
 * who operates a consensus key, stakes and what they are worth, the bonded pool, unbonding entries and the
 * candidates. Read-only: every write is staking.ts's.
 */
import {
  addressListCodec,
  type StakingPool,
  stakingPoolCodec,
  type StakingValidator,
  stakingValidatorCodec,
  type UnbondingEntry,
  type UnbondingGroup,
  unbondingGroupCodec,
  unbondingListCodec,
} from "../../../proto/module-records.ts";
import { MODULE_PREFIX, stateKey } from "../../keys.ts";
import type { StakingParams } from "../../params.ts";
import type { StateReader } from "../../view.ts";
import { readAmount } from "../common.ts";
import { delegationKey, unbondingGroupKey, validatorKey } from "./keys.ts";

/** Keys are exported for proofs (rpc/proof-keys.ts): a proof names the key the getter reads. */
export function getValidator(view: StateReader, operator: Uint8Array): StakingValidator | undefined {
  const raw = view.get(validatorKey(operator));
  return raw === undefined ? undefined : stakingValidatorCodec.decode(raw);
}

/** The operator of the validator whose consensus key has this address. */
export function operatorOf(view: StateReader, consensusAddress: Uint8Array): Uint8Array | undefined {
  return view.get(stateKey(MODULE_PREFIX.stakingConsensus, consensusAddress));
}

export function getShares(view: StateReader, delegator: Uint8Array, operator: Uint8Array): bigint {
  return readAmount(view, delegationKey(delegator, operator));
}

/** What `shares` of a validator are worth in base units now (rounded down). */
export function sharesValue(v: StakingValidator, shares: bigint): bigint {
  return v.shares === 0n ? 0n : (shares * v.tokens) / v.shares;
}

export function getPool(view: StateReader): StakingPool {
  const raw = view.get(MODULE_PREFIX.stakingPool);
  return raw === undefined ? { bonded: 0n, unbonding: 0n } : stakingPoolCodec.decode(raw);
}

/**
 * A delegator's unbondings in progress, each with what it will pay out: its amount less its share of what a
 * slash took from its group (completion may withhold one base unit more, for rounding: see staking.ts).
 */
export function getUnbonding(view: StateReader, delegator: Uint8Array): UnbondingEntry[] {
  return unbondingEntries(view, delegator).map((e) => {
    const group = getUnbondingGroup(view, e.validator, e.creationHeight);
    if (group === undefined || group.slashed === 0n) return e;
    return { ...e, amount: e.amount - (e.amount * group.slashed) / group.total };
  });
}

/** A delegator's unbonding entries as unstaked, before any slash (staking.ts's own reading). */
export function unbondingEntries(view: StateReader, delegator: Uint8Array): UnbondingEntry[] {
  const raw = view.get(stateKey(MODULE_PREFIX.stakingUnbonding, delegator));
  return raw === undefined ? [] : unbondingListCodec.decode(raw);
}

export function getUnbondingGroup(
  view: StateReader,
  operator: Uint8Array,
  creationHeight: number,
): UnbondingGroup | undefined {
  const raw = view.get(unbondingGroupKey(operator, creationHeight));
  return raw === undefined ? undefined : unbondingGroupCodec.decode(raw);
}

/** Every validator's operator, sorted. */
export function getCandidates(view: StateReader): Uint8Array[] {
  const raw = view.get(MODULE_PREFIX.stakingCandidates);
  return raw === undefined ? [] : addressListCodec.decode(raw);
}

export function isJailed(v: StakingValidator): boolean {
  return v.tombstoned || v.jailedUntil > 0;
}

export function votingPower(v: StakingValidator, params: StakingParams): bigint {
  return v.tokens / params.powerReduction;
}

import { idKey, MODULE_PREFIX, stateKey } from "../../keys.ts";

/**
 * The staking module's state keys that the node reads outside the module (state/keys.ts documents each
 * prefix): built here once, for the module that writes them and the node code that reads them.
 */

/** Every validator-set entry: `stk/vset/<from height 8>` (the node loads them all at start). */
export const VALIDATOR_SETS_PREFIX: Uint8Array = MODULE_PREFIX.stakingValidatorSet;
/** The set in force from `fromHeight`. */
export const validatorSetKey = (fromHeight: number): Uint8Array => stateKey(VALIDATOR_SETS_PREFIX, idKey(fromHeight));
/** A committed equivocation, by its evidence hash: present, it counts no more. */
export const evidenceKey = (hash: Uint8Array): Uint8Array => stateKey(MODULE_PREFIX.stakingEvidence, hash);
/** Every validator record: `stk/val/<operator 20>`. */
export const VALIDATOR_PREFIX: Uint8Array = MODULE_PREFIX.stakingValidator;
export const validatorKey = (operator: Uint8Array): Uint8Array => stateKey(VALIDATOR_PREFIX, operator);
/** A delegator's shares of a validator: `stk/del/<delegator 20><operator 20>`. */
export const DELEGATION_PREFIX: Uint8Array = MODULE_PREFIX.stakingDelegation;
export const delegationKey = (delegator: Uint8Array, operator: Uint8Array): Uint8Array =>
  stateKey(DELEGATION_PREFIX, delegator, operator);
/** The height of the latest validator-set entry (the set in force from then on). */
export const LATEST_SET_KEY: Uint8Array = MODULE_PREFIX.stakingValidatorSetLatest;
/** The unbondings that left `operator` at `creationHeight`, as one total: `stk/unbg/<operator 20><height 8>`. */
export const unbondingGroupKey = (operator: Uint8Array, creationHeight: number): Uint8Array =>
  stateKey(MODULE_PREFIX.stakingUnbondingGroup, operator, idKey(creationHeight));

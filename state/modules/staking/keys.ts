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

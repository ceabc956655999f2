import { MODULE_PREFIX, stateKey } from "../../keys.ts";

/** The key prefixes RPC may list of the staking module (so that nothing outside it builds its keys). */
export const stakingScans = {
  /** Every validator record, by operator address. */
  validators: (): Uint8Array => MODULE_PREFIX.stakingValidator,
  /** A delegator's shares, by validator operator address. */
  delegationsOf: (delegator: Uint8Array): Uint8Array => stateKey(MODULE_PREFIX.stakingDelegation, delegator),
};

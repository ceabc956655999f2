import type { Genesis } from "../../genesis.ts";
import type { NativeModule } from "../../module.ts";
import type { Overlay } from "../../view.ts";
import {
  apply,
  beginBlock,
  check,
  createGenesisValidator,
  endBlock,
  getCandidates,
  getPool,
  getShares,
  getUnbonding,
  getValidator,
  latestSetHeight,
  operatorOf,
  scheduleInitialValidatorSet,
  spend,
  validatorSetAt,
} from "./staking.ts";

/** Staking as a native module: validators, delegations, unbonding, liveness and slashing, the validator set. */
export const stakingModule = {
  name: "staking",
  msgTypes: ["create_validator", "stake", "unstake", "unjail"],
  check,
  spend,
  apply,
  beginBlock,
  endBlock,
  /** Each genesis validator is created from its operator's balance (bank's genesis runs first), then the set. */
  initGenesis(view: Overlay, genesis: Genesis): void {
    for (const v of genesis.validators) createGenesisValidator(view, v, genesis.params);
    // A genesis without validators is only a state for tests of the state machine (genesis.json needs one).
    if (genesis.validators.length > 0) scheduleInitialValidatorSet(view, genesis.params);
  },
  queries: {
    getValidator,
    getShares,
    getUnbonding,
    getCandidates,
    getPool,
    operatorOf,
    latestSetHeight,
    validatorSetAt,
  },
} satisfies NativeModule;

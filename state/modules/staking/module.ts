import type { TxEvent } from "../../../proto/records.ts";
import type { BlockContext } from "../../block-context.ts";
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
  operatorOf,
  spend,
} from "./staking.ts";
import {
  latestSetHeight,
  scheduleInitialValidatorSet,
  scheduleNextValidatorSet,
  validatorSetAt,
} from "./validator-set.ts";

/** Staking as a native module: validators, delegations, unbonding, liveness and slashing, the validator set. */
export const stakingModule = {
  name: "staking",
  msgTypes: ["create_validator", "stake", "unstake", "unjail"],
  check,
  spend,
  apply,
  beginBlock,
  /** Unbondings complete first, then the set of height + 2 is scheduled from the stakes as they then stand. */
  endBlock(view: Overlay, ctx: BlockContext): TxEvent[] {
    const events = endBlock(view, ctx);
    for (const e of scheduleNextValidatorSet(view, ctx)) events.push(e);
    return events;
  },
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

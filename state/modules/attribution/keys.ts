import { idKey, MODULE_PREFIX, type SourceKind, SOURCE_KIND, stateKey } from "../../keys.ts";

/** The attribution module's record keys (state/keys.ts documents each prefix), for the module and its readers. */

/** Every inference: `att/inf/<id 8>`. */
export const INFERENCE_PREFIX: Uint8Array = MODULE_PREFIX.inference;
/** An address's claimable rewards: `att/rew/<address 20>`. */
export const REWARDS_PREFIX: Uint8Array = MODULE_PREFIX.rewards;
/** What a contribution, datanet or model earned: `att/earn/<kind 1><id 8>`. */
export const EARNINGS_PREFIX: Uint8Array = MODULE_PREFIX.earnings;

export const inferenceKey = (id: number): Uint8Array => stateKey(INFERENCE_PREFIX, idKey(id));
export const rewardsKey = (address: Uint8Array): Uint8Array => stateKey(REWARDS_PREFIX, address);
export const earningsKey = (kind: SourceKind, id: number): Uint8Array =>
  stateKey(EARNINGS_PREFIX, Uint8Array.of(SOURCE_KIND[kind]), idKey(id));
/** Who an inference paid, and how much (written when it is recorded). */
export const inferencePayoutsKey = (inferenceId: number): Uint8Array =>
  stateKey(MODULE_PREFIX.inferencePayouts, idKey(inferenceId));

import type { NativeModule } from "../../module.ts";
import {
  apply,
  check,
  endBlock,
  getEarnings,
  getInference,
  getRewardFromSource,
  getRewards,
  spend,
} from "./attribution.ts";
import { getInferencePayouts } from "./payouts.ts";

/** Attribution as a native module: paid inferences, their records and fee splits, rewards and claims. */
export const attributionModule = {
  name: "attribution",
  msgTypes: ["pay_inference", "record_inference", "claim_rewards"],
  check,
  spend,
  apply,
  endBlock,
  queries: { getInference, getRewards, getEarnings, getRewardFromSource, getInferencePayouts },
} satisfies NativeModule;

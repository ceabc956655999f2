import type { NativeModule } from "../../module.ts";
import {
  acceptedContributionId,
  apply,
  check,
  getContribution,
  getDatanet,
  getDatanetFrontier,
  getDatanetVersion,
  spend,
} from "./datanets.ts";

/** Datanets as a native module: datasets, contributions and their review, published versions. */
export const datanetsModule = {
  name: "datanets",
  msgTypes: [
    "create_datanet",
    "update_datanet",
    "contribute",
    "review_contribution",
    "slash_contribution",
    "publish_version",
  ],
  check,
  spend,
  apply,
  queries: { getDatanet, getContribution, getDatanetVersion, acceptedContributionId, getDatanetFrontier },
} satisfies NativeModule;

import type { NativeModule } from "../../module.ts";
import { endBlock } from "./end-block.ts";
import { apply, check, spend } from "./gov.ts";
import {
  getActiveProposalIds,
  getDeposit,
  getGovEscrow,
  getProposal,
  getUpgradeDoneHeight,
  getUpgradePlan,
  getVote,
  voterAt,
  voterCount,
} from "./queries.ts";
import { computeTally } from "./tally.ts";

/** Governance as a native module: proposals, deposits, votes; the tally and execution at the end of a vote;
 * a passed software upgrade applied (or the node halted) at the start of its height, by state/execute.ts's
 * beginBlock before every module's hook (gov/upgrade.ts). */
export const govModule = {
  name: "gov",
  msgTypes: ["submit_proposal", "deposit", "vote"],
  check,
  spend,
  apply,
  endBlock,
  queries: {
    getProposal,
    getActiveProposalIds,
    getVote,
    getDeposit,
    getGovEscrow,
    voterCount,
    voterAt,
    liveTally: computeTally,
    getUpgradePlan,
    getUpgradeDoneHeight,
  },
} satisfies NativeModule;

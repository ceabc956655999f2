import type { NativeModule } from "../../module.ts";
import { endBlock } from "./end-block.ts";
import { upgradeBeginBlock } from "./upgrade.ts";
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
 * a passed software upgrade applied (or the node halted) at the start of its height. */
export const govModule = {
  name: "gov",
  msgTypes: ["submit_proposal", "deposit", "vote"],
  check,
  spend,
  apply,
  beginBlock: upgradeBeginBlock,
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

import { equalBytes } from "../../../crypto/bytes.ts";
import type { Overlay } from "../../view.ts";
import { addAmount } from "../common.ts";
import { votedSharesKey } from "./keys.ts";
import { getActiveProposalIds, getVote } from "./queries.ts";
import { setVote } from "./votes.ts";

/**
 * Staking calls this whenever a staker's shares with a validator change (stake, unstake, a validator's
 * creation): a vote of that staker naming that validator, on a proposal in its voting period, now counts
 * the new shares. One read when no proposal is active; at most maxActiveProposals votes read otherwise, each
 * rewritten with its option's running sum if it names the validator: every such tx is charged that at the
 * cap (state/work.ts STAKE_HOOK_WORK).
 */
export function sharesChanged(view: Overlay, delegator: Uint8Array, operator: Uint8Array, shares: bigint): void {
  const active = getActiveProposalIds(view);
  for (const id of active) {
    const vote = getVote(view, id, delegator);
    const i = vote === undefined ? -1 : vote.validators.findIndex((v) => equalBytes(v, operator));
    if (vote === undefined || i < 0) continue;
    addAmount(view, votedSharesKey(id, operator, vote.option), shares - vote.shares[i]);
    setVote(view, id, delegator, { ...vote, shares: vote.shares.map((s, k) => (k === i ? shares : s)) });
  }
}

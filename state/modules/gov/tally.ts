import type { VoteOption } from "../../../proto/gov-msgs.ts";
import type { Tally } from "../../../proto/gov-records.ts";
import type { Overlay, StateReader } from "../../view.ts";
import { readAmount, writeAmount } from "../common.ts";
import { getCandidates, getValidator, sharesValue } from "../staking/staking.ts";
import { votedSharesKey } from "./keys.ts";
import { getVote } from "./queries.ts";

export const VOTE_OPTIONS: readonly VoteOption[] = ["yes", "abstain", "no", "no_with_veto"];

/**
 * The stake behind each option of a proposal, by the bonds in `view` (the end of the last voting block, when
 * the end-of-block tally runs; now, for a live tally). As Cosmos SDK x/gov: a validator's operator votes for
 * its validator's whole bond, less the stake of those who voted themselves; a staker's vote counts for its
 * own stake with the validators it named in the vote.
 *
 * Bounded by the validators, not the votes: each vote keeps a running sum of shares per (validator, option)
 * up to date (gov.ts's vote, and stake-hook.ts when a voter's stake changes), so the tally reads, per validator,
 * its record, four sums and its operator's vote, and values the shares at the validator's price now (which
 * slashes and others' stakes move). At most maxCandidates validators, whatever the number of votes.
 */
export function computeTally(view: StateReader, proposalId: number): Tally {
  const tally: Record<VoteOption, bigint> = { yes: 0n, abstain: 0n, no: 0n, no_with_veto: 0n };
  for (const operator of getCandidates(view)) {
    const validator = getValidator(view, operator);
    if (validator === undefined) continue;
    let votedThemselves = 0n;
    for (const option of VOTE_OPTIONS) {
      const shares = readAmount(view, votedSharesKey(proposalId, operator, option));
      if (shares === 0n) continue;
      const stake = sharesValue(validator, shares);
      tally[option] += stake;
      votedThemselves += stake;
    }
    const own = getVote(view, proposalId, operator);
    const inherited = validator.tokens - votedThemselves;
    if (own !== undefined && inherited > 0n) tally[own.option] += inherited;
  }
  return { yes: tally.yes, abstain: tally.abstain, no: tally.no, noWithVeto: tally.no_with_veto };
}

/** After the tally: the running sums are dropped (the final tally is in the proposal record). */
export function clearVotedShares(view: Overlay, proposalId: number): void {
  for (const operator of getCandidates(view)) {
    for (const option of VOTE_OPTIONS) writeAmount(view, votedSharesKey(proposalId, operator, option), 0n);
  }
}

export type TallyOutcome = "passed" | "rejected" | "vetoed" | "no_quorum";

/**
 * As x/gov: quorum (stake that voted / all bonded stake) >= quorumPpm; then the veto share of all votes
 * below vetoPpm; then yes / (yes + no + veto) above thresholdPpm. Integer arithmetic only.
 */
export function tallyOutcome(
  tally: Tally,
  totalBonded: bigint,
  p: { quorumPpm: number; thresholdPpm: number; vetoPpm: number },
): TallyOutcome {
  const PPM = 1_000_000n;
  const voted = tally.yes + tally.abstain + tally.no + tally.noWithVeto;
  if (totalBonded === 0n || voted * PPM < BigInt(p.quorumPpm) * totalBonded) return "no_quorum";
  if (tally.noWithVeto * PPM >= BigInt(p.vetoPpm) * voted) return "vetoed";
  const decisive = tally.yes + tally.no + tally.noWithVeto;
  if (decisive > 0n && tally.yes * PPM > BigInt(p.thresholdPpm) * decisive) return "passed";
  return "rejected";
}

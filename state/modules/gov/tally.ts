import { EMPTY_TALLY, type Tally } from "../../../proto/gov-records.ts";
import type { VoteOption } from "../../../proto/gov-msgs.ts";
import type { StakingValidator } from "../../../proto/module-records.ts";
import { keyId, type StateReader } from "../../view.ts";
import { getShares, getValidator, sharesValue } from "../staking/staking.ts";
import { getVote, voterAt, voterCount } from "./queries.ts";

/**
 * The stake behind each option of a proposal, by the bonds in `view` (the end of the last voting block, when
 * the end-of-block tally runs; now, for a live tally). As Cosmos SDK x/gov: a validator's operator votes for
 * its validator's whole bond, less the stake of those who voted themselves; a staker's vote counts for its
 * own stake with the validators it named in the vote. One pass over the votes: reads per vote are the vote,
 * its position in the list and one delegation per validator it names (at most MAX_VOTE_VALIDATORS); each
 * validator record is read once.
 */
export function computeTally(view: StateReader, proposalId: number): Tally {
  const tally: Record<VoteOption, bigint> = { yes: 0n, abstain: 0n, no: 0n, no_with_veto: 0n };
  const validators = new Map<string, StakingValidator | undefined>();
  const validatorOf = (operator: Uint8Array) => {
    const id = keyId(operator);
    if (!validators.has(id)) validators.set(id, getValidator(view, operator));
    return validators.get(id);
  };
  const validatorVotes = new Map<string, { validator: StakingValidator; option: VoteOption }>();
  const votedThemselves = new Map<string, bigint>();

  for (let i = 0, n = voterCount(view, proposalId); i < n; i++) {
    const voter = voterAt(view, proposalId, i);
    const vote = voter === undefined ? undefined : getVote(view, proposalId, voter);
    if (voter === undefined || vote === undefined) throw new Error(`vote ${i} of proposal ${proposalId} is missing`);
    for (const operator of vote.validators) {
      const validator = validatorOf(operator);
      if (validator === undefined) continue; // gone since the vote: nothing staked with it any more
      const stake = sharesValue(validator, getShares(view, voter, operator));
      tally[vote.option] += stake;
      const id = keyId(operator);
      votedThemselves.set(id, (votedThemselves.get(id) ?? 0n) + stake);
    }
    const own = validatorOf(voter);
    if (own !== undefined) validatorVotes.set(keyId(voter), { validator: own, option: vote.option });
  }
  for (const [id, { validator, option }] of validatorVotes) {
    const inherited = validator.tokens - (votedThemselves.get(id) ?? 0n);
    if (inherited > 0n) tally[option] += inherited;
  }
  return { ...EMPTY_TALLY, yes: tally.yes, abstain: tally.abstain, no: tally.no, noWithVeto: tally.no_with_veto };
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

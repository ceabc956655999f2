import { ADDRESS_LENGTH } from "../crypto/address.ts";
import { CodecError, decodeAmount, encodeAmount, fixedBytes, uint } from "./codec.ts";
import {
  type ProposalContent,
  proposalFields,
  proposalFrom,
  VOTE_OPTION_NUMBER,
  type VoteOption,
  voteOptionFrom,
} from "./gov-msgs.ts";
import { codec } from "./module-records.ts";

/** The governance module's state records (state/modules/gov/) and their canonical encodings. */

export const PROPOSAL_STATUSES = [
  "deposit_period",
  "voting_period",
  "passed",
  "rejected",
  "vetoed",
  "no_quorum",
  "failed",
  "dropped",
] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

/** Stake per option: the live tally while voting, the final one after. */
export interface Tally {
  yes: bigint;
  abstain: bigint;
  no: bigint;
  noWithVeto: bigint;
}

export const EMPTY_TALLY: Tally = { yes: 0n, abstain: 0n, no: 0n, noWithVeto: 0n };

export interface Proposal {
  id: number;
  proposer: Uint8Array;
  title: string;
  description: string;
  /** The deposit it was submitted with (totalDeposit has every deposit). */
  initialDeposit: bigint;
  content: ProposalContent;
  status: ProposalStatus;
  submitHeight: number;
  depositEnd: number;
  /** The last block of its vote (its tally runs at that block's end); 0 before voting. */
  votingEnd: number;
  totalDeposit: bigint;
  /** The final tally, once voting ended (zeros before). */
  tally: Tally;
  /** Why a passed proposal could not be executed (status failed). */
  failure: string;
}

export const proposalCodec = codec<Proposal>(
  "GovProposal",
  "governance proposal",
  (p) => ({
    id: p.id,
    proposer: p.proposer,
    content: proposalFields({
      title: p.title,
      description: p.description,
      deposit: p.initialDeposit,
      content: p.content,
    }),
    status: PROPOSAL_STATUSES.indexOf(p.status) + 1,
    submitHeight: p.submitHeight,
    depositEnd: p.depositEnd,
    votingEnd: p.votingEnd,
    totalDeposit: encodeAmount(p.totalDeposit),
    yes: encodeAmount(p.tally.yes),
    abstain: encodeAmount(p.tally.abstain),
    no: encodeAmount(p.tally.no),
    veto: encodeAmount(p.tally.noWithVeto),
    failure: p.failure,
  }),
  (f) => {
    const { title, description, deposit, content } = proposalFrom(f.content ?? {});
    const status = PROPOSAL_STATUSES[uint(f.status, "proposal status") - 1];
    if (status === undefined) throw new CodecError(`proposal status ${String(f.status)} is unknown`);
    return {
      id: uint(f.id, "proposal id"),
      proposer: fixedBytes(f.proposer, ADDRESS_LENGTH, "proposer"),
      title,
      description,
      initialDeposit: deposit,
      content,
      status,
      submitHeight: uint(f.submitHeight, "submit height"),
      depositEnd: uint(f.depositEnd, "deposit end"),
      votingEnd: uint(f.votingEnd, "voting end"),
      totalDeposit: decodeAmount(f.totalDeposit, "total deposit"),
      tally: {
        yes: decodeAmount(f.yes, "yes"),
        abstain: decodeAmount(f.abstain, "abstain"),
        no: decodeAmount(f.no, "no"),
        noWithVeto: decodeAmount(f.veto, "no with veto"),
      },
      failure: typeof f.failure === "string" ? f.failure : "",
    };
  },
);

export interface GovVote {
  option: VoteOption;
  /** The validators the voter's own stake with them votes with this vote. */
  validators: Uint8Array[];
  /** The voter's shares with each of them, as the proposal's running sums count them now. */
  shares: bigint[];
}

export const govVoteCodec = codec<GovVote>(
  "GovVote",
  "governance vote",
  (v) => ({ option: VOTE_OPTION_NUMBER[v.option], validators: v.validators, shares: v.shares.map(encodeAmount) }),
  (f) => ({
    option: voteOptionFrom(f.option),
    validators: ((f.validators as unknown[] | undefined) ?? []).map((a, i) =>
      fixedBytes(a, ADDRESS_LENGTH, `validators[${i}]`),
    ),
    shares: ((f.shares as unknown[] | undefined) ?? []).map((s, i) => decodeAmount(s, `shares[${i}]`)),
  }),
);

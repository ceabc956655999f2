import { ADDRESS_LENGTH } from "../crypto/address.ts";
import { utf8 } from "../crypto/bytes.ts";
import { SIGNATURE_LENGTH } from "../crypto/ed25519.ts";
import { sha256 } from "../crypto/hash.ts";
import { CodecError, decodeCanonical, encodeMessage, type Fields, fixedBytes, uint } from "./codec.ts";
import { NO_LISTS } from "./block-caps.ts";
import { pb } from "./schema.ts";

// Consensus messages: votes, proposals and the evidence built from conflicting votes.

export const PREVOTE = 1;
export const PRECOMMIT = 2;
export type VoteType = typeof PREVOTE | typeof PRECOMMIT;

export interface Vote {
  type: VoteType;
  height: number;
  round: number;
  /** Empty for a vote for nil. */
  blockHash: Uint8Array;
  timeMs: number;
  validatorAddress: Uint8Array;
}

export interface SignedVote {
  vote: Vote;
  signature: Uint8Array;
}

export interface Proposal {
  height: number;
  round: number;
  /** -1 when there is no proof-of-lock round. */
  polRound: number;
  blockHash: Uint8Array;
  timeMs: number;
  proposerAddress: Uint8Array;
}

export interface SignedProposal {
  proposal: Proposal;
  signature: Uint8Array;
}

export interface DuplicateVoteEvidence {
  voteA: SignedVote;
  voteB: SignedVote;
}

function voteFrom(f: Fields | undefined): Vote {
  if (!f) throw new CodecError("signed vote has no vote");
  const type = uint(f.type, "vote type");
  if (type !== PREVOTE && type !== PRECOMMIT)
    throw new CodecError(`vote type ${type} is neither prevote nor precommit`);
  return {
    type,
    height: uint(f.height, "vote height"),
    round: uint(f.round, "vote round"),
    blockHash: fixedBytes(f.blockHash, 32, "vote block hash", true),
    timeMs: uint(f.timeMs, "vote time"),
    validatorAddress: fixedBytes(f.validatorAddress, ADDRESS_LENGTH, "vote validator address"),
  };
}

export function signedVoteFields(v: SignedVote): Fields {
  return { vote: { ...v.vote }, signature: v.signature };
}

export function signedVoteFrom(f: Fields | undefined): SignedVote {
  if (!f) throw new CodecError("missing signed vote");
  return { vote: voteFrom(f.vote), signature: fixedBytes(f.signature, SIGNATURE_LENGTH, "vote signature") };
}

export function encodeVote(v: Vote): Uint8Array {
  return encodeMessage(pb.Vote, { ...v });
}

export function encodeSignedVote(v: SignedVote): Uint8Array {
  return encodeMessage(pb.SignedVote, signedVoteFields(v));
}

export function decodeSignedVote(bytes: Uint8Array): SignedVote {
  return signedVoteFrom(decodeCanonical(pb.SignedVote, bytes, "signed vote", NO_LISTS));
}

export function encodeProposal(p: Proposal): Uint8Array {
  return encodeMessage(pb.Proposal, { ...p });
}

export function encodeSignedProposal(p: SignedProposal): Uint8Array {
  return encodeMessage(pb.SignedProposal, signedProposalFields(p));
}

export function decodeSignedProposal(bytes: Uint8Array): SignedProposal {
  return signedProposalFrom(decodeCanonical(pb.SignedProposal, bytes, "signed proposal", NO_LISTS));
}

export function signedProposalFields(p: SignedProposal): Fields {
  return { proposal: { ...p.proposal }, signature: p.signature };
}

export function signedProposalFrom(f: Fields | undefined): SignedProposal {
  if (!f) throw new CodecError("missing signed proposal");
  const p = f.proposal as Fields | undefined;
  if (!p) throw new CodecError("signed proposal has no proposal");
  const polRound = p.polRound ?? 0;
  if (!Number.isSafeInteger(polRound) || polRound < -1)
    throw new CodecError("proposal pol round out of range");
  return {
    proposal: {
      height: uint(p.height, "proposal height"),
      round: uint(p.round, "proposal round"),
      polRound,
      blockHash: fixedBytes(p.blockHash, 32, "proposal block hash"),
      timeMs: uint(p.timeMs, "proposal time"),
      proposerAddress: fixedBytes(p.proposerAddress, ADDRESS_LENGTH, "proposer address"),
    },
    signature: fixedBytes(f.signature, SIGNATURE_LENGTH, "proposal signature"),
  };
}

export function evidenceFields(e: DuplicateVoteEvidence): Fields {
  return { voteA: signedVoteFields(e.voteA), voteB: signedVoteFields(e.voteB) };
}

export function evidenceFrom(f: Fields): DuplicateVoteEvidence {
  return { voteA: signedVoteFrom(f.voteA), voteB: signedVoteFrom(f.voteB) };
}

const VOTE_DOMAIN = utf8("OPL/vote/v1");
const PROPOSAL_DOMAIN = utf8("OPL/proposal/v1");

/** What a validator signs for a vote: domain tag, chain id, canonical vote. Distinct from tx sign bytes. */
export function voteSignBytes(chainId: string, vote: Vote): Uint8Array {
  return sha256(VOTE_DOMAIN, Uint8Array.of(0), utf8(chainId), Uint8Array.of(0), encodeVote(vote));
}

export function proposalSignBytes(chainId: string, proposal: Proposal): Uint8Array {
  return sha256(PROPOSAL_DOMAIN, Uint8Array.of(0), utf8(chainId), Uint8Array.of(0), encodeProposal(proposal));
}

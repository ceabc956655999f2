import { join } from "node:path";
import protobuf from "protobufjs";

// uint64 fields decode to plain numbers: heights, nonces and times stay far below 2^53, and every decoder
// checks Number.isSafeInteger, so a value that lost precision is refused rather than silently rounded.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

const root = protobuf.loadSync(join(import.meta.dirname, "opl.proto"));
// Every field's type looked up now: proto/wire-scan.ts walks into message fields by their resolvedType.
root.resolveAll();

function type(name: string): protobuf.Type {
  return root.lookupType(`opl.v1.${name}`);
}

export const pb = {
  MsgTransfer: type("MsgTransfer"),
  TxBody: type("TxBody"),
  SignedTx: type("SignedTx"),
  Header: type("Header"),
  CommitSig: type("CommitSig"),
  Commit: type("Commit"),
  Block: type("Block"),
  Vote: type("Vote"),
  SignedVote: type("SignedVote"),
  Proposal: type("Proposal"),
  SignedProposal: type("SignedProposal"),
  DuplicateVoteEvidence: type("DuplicateVoteEvidence"),
  Validator: type("Validator"),
  ValidatorSet: type("ValidatorSet"),
  TxResult: type("TxResult"),
  Account: type("Account"),
  TxRecord: type("TxRecord"),
  BlockMeta: type("BlockMeta"),
  ProposalWithBlock: type("ProposalWithBlock"),
  ConsensusMessage: type("ConsensusMessage"),
  CompactProposal: type("CompactProposal"),
  TxFetchRequest: type("TxFetchRequest"),
  TxFetchResponse: type("TxFetchResponse"),
  TxBatch: type("TxBatch"),
  BlockRequest: type("BlockRequest"),
  SyncedBlock: type("SyncedBlock"),
  StakingValidator: type("StakingValidator"),
  UnbondingList: type("UnbondingList"),
  UnbondingGroup: type("UnbondingGroup"),
  StakingPool: type("StakingPool"),
  AddressList: type("AddressList"),
  IdList: type("IdList"),
  Datanet: type("Datanet"),
  Contribution: type("Contribution"),
  DatanetVersion: type("DatanetVersion"),
  DatanetFrontier: type("DatanetFrontier"),
  Model: type("Model"),
  ModelVersion: type("ModelVersion"),
  Inference: type("Inference"),
  Rewards: type("Rewards"),
  InferencePayouts: type("InferencePayouts"),
  GovProposal: type("GovProposal"),
  GovVote: type("GovVote"),
};

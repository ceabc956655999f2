import { u64be, toHex } from "../../crypto/bytes.ts";
import { MerkleTree, merkleFrontierAppend, merkleFrontierRoot } from "../../crypto/merkle.ts";
import { encodeValidatorSet, type Validator } from "../../proto/block.ts";
import { encodeAmount } from "../../proto/codec.ts";
import {
  addressListCodec,
  idListCodec,
  type Contribution,
  contributionCodec,
  type Datanet,
  datanetCodec,
  datanetFrontierCodec,
  type DatanetVersion,
  datanetVersionCodec,
  type Inference,
  inferenceCodec,
  type InferencePayouts,
  inferencePayoutsCodec,
  type Model,
  modelCodec,
  type ModelVersion,
  modelVersionCodec,
  type Rewards,
  rewardsCodec,
  type StakingPool,
  type UnbondingGroup,
  unbondingGroupCodec,
  stakingPoolCodec,
  type StakingValidator,
  stakingValidatorCodec,
  type UnbondingEntry,
  unbondingListCodec,
} from "../../proto/module-records.ts";
import { type GovVote, govVoteCodec, type Proposal, proposalCodec } from "../../proto/gov-records.ts";
import { MODULE_PREFIX, PRESENT, stateKey } from "../../state/keys.ts";
import { encodeParams } from "../../state/modules/gov/params-store.ts";
import type { ChainParams } from "../../state/params.ts";
import { SparseMerkleTree, treePath, valueHash } from "../../state/smt.ts";

/**
 * Known answers of the module state (the values the four economy modules keep in the state tree, under the
 * keys of state/keys.ts, and governance's) and of the datanet Merkle tree (crypto/merkle.ts). Rules stated in
 * docs/module-state.md; the vectors are in test/vectors/known-answers.json with the others.
 */

export const MODULE_RULES = {
  "STATE-KEY": "a state key is the module's ASCII prefix (state/keys.ts MODULE_PREFIX) followed by its parts " +
    "at fixed widths: ids and heights 8 bytes big-endian, list positions 4 bytes big-endian, a source kind 1 " +
    "byte, addresses 20 bytes, hashes 32 bytes",
  "STATE-SCALAR": "a scalar state value is bare bytes, no protobuf: an amount minimal big-endian (zero is no " +
    "key), a counter, id or height 8 bytes big-endian, an address its 20 bytes, an index entry the byte 0x01",
  "STAKING-VALIDATOR": "a StakingValidator is its canonical protobuf (operator=1, consensus_pubkey=2, moniker=3, " +
    "tokens=4, shares=5, jailed_until=6, tombstoned=7, miss_window=8, window_missed=9, created_height=10, slashed=11)",
  "UNBONDING-LIST": "an UnbondingList is the canonical protobuf {entries=1: repeated {delegator=1, validator=2, " +
    "amount=3, completion_height=4, creation_height=5}}",
  "UNBONDING-GROUP": "an UnbondingGroup is the canonical protobuf {total=1, slashed=2, completed=3}, amounts",
  "STAKING-POOL": "a StakingPool is the canonical protobuf {bonded=1, unbonding=2}",
  "ADDRESS-LIST": "an AddressList is the canonical protobuf {addresses=1: repeated 20-byte address}",
  "DATANET": "a Datanet is its canonical protobuf (id=1, owner=2, name=3, description=4, license=5, curators=6, " +
    "contribution_stake=7, review_fee=8, allow_listed=9, contributors=10, created_height=11, accepted_count=12, " +
    "version_count=13, contribution_count=14)",
  "CONTRIBUTION": "a Contribution is its canonical protobuf (id=1, datanet_id=2, contributor=3, content_hash=4, " +
    "uri=5, size_bytes=6, metadata=7, stake=8, status=9 (0 pending, 1 accepted, 2 rejected, 3 slashed), " +
    "accept_index=10, created_height=11, reviewed_height=12, reviewer=13, staked=14, slashed_amount=15)",
  "DATANET-VERSION": "a DatanetVersion is its canonical protobuf (datanet_id=1, version=2, root=3, count=4, height=5)",
  "MODEL": "a Model is its canonical protobuf (id=1, owner=2, name=3, kind=4 (0 model, 1 adapter), parent_id=5, " +
    "base_model=6, weights_hash=7, uri=8, trained_on=9: repeated {datanet_id=1, version=2}, price=10, operators=11, " +
    "retired=12, version=13, created_height=14, updated_height=15)",
  "MODEL-VERSION": "a ModelVersion is its canonical protobuf (model_id=1, version=2, weights_hash=3, uri=4, " +
    "trained_on=5, height=6)",
  "INFERENCE": "an Inference is its canonical protobuf (id=1, model_id=2, payer=3, request_hash=4, price=5, " +
    "created_height=6, expires_height=7, status=8 (0 paid, 1 recorded, 2 expired), operator=9, output_hash=10, " +
    "weights=11: repeated {contribution_id=1, datanet_id=2, version=3, ppm=4}, recorded_height=12)",
  "REWARDS": "a Rewards record is the canonical protobuf {accrued=1, claimed=2}",
  "INFERENCE-PAYOUTS": "an InferencePayouts is its canonical protobuf (inference_id=1, model_id=2, price=3, " +
    "treasury=4, owner=5, owner_amount=6, credits=7: repeated {weight=1, contribution_id=2, contributor=3, amount=4})",
  "ID-LIST": "an IdList is the canonical protobuf {ids=1: repeated uint64}, in the order the list keeps",
  "GOV-PROPOSAL": "a GovProposal is its canonical protobuf (id=1, proposer=2, content=3: the MsgSubmitProposal it " +
    "was submitted with, status=4 (1 deposit_period, 2 voting_period, 3 passed, 4 rejected, 5 vetoed, 6 no_quorum, " +
    "7 failed, 8 dropped), submit_height=5, deposit_end=6, voting_end=7, total_deposit=8, yes=9, abstain=10, no=11, " +
    "veto=12, failure=13)",
  "GOV-VOTE": "a GovVote is the canonical protobuf {option=1 (1 yes, 2 abstain, 3 no, 4 no with veto), " +
    "validators=2: repeated address, shares=3: repeated amount, one per validator}",
  "GOV-PARAMS": "the params record is the UTF-8 of the chain params' JSON, no spaces, keys in DEFAULT_PARAMS's " +
    "order, amounts as decimal strings (genesis.json's params form)",
  "DATANET-ROOT": "a datanet version's root is the Merkle root over the content hashes of its first `count` " +
    "accepted contributions in acceptance order, the hashes being the leaves as they are (no leaf prefix), inner " +
    "node sha256(0x01 || left || right), an odd last node carried up, one leaf is the root, none = sha256(\"\")",
  "DATANET-FRONTIER": "a DatanetFrontier is the canonical protobuf {count=1, nodes=2: the roots of the perfect " +
    "subtrees of the datanet tree over `count` leaves, one per set bit of count, largest (leftmost) first}",
  "DATANET-PROOF": "a datanet membership proof is the sibling hashes from the leaf up to the root, bottom first, " +
    "with nothing for a level where the path's node is the odd last one (carried up)",
} as const;

export type ModuleRuleId = keyof typeof MODULE_RULES;

/** A part of a state key, typed so its width is the rule's, not the fixture's. */
export type KeyPart = { u64: number } | { u32: number } | { u8: number } | { bytes: Uint8Array };

/** A state value, typed by the record it is (its rule). */
export type RecordValue =
  | { record: "STAKING-VALIDATOR"; value: StakingValidator }
  | { record: "UNBONDING-LIST"; value: UnbondingEntry[] }
  | { record: "UNBONDING-GROUP"; value: UnbondingGroup }
  | { record: "STAKING-POOL"; value: StakingPool }
  | { record: "ADDRESS-LIST"; value: Uint8Array[] }
  | { record: "VALIDATOR-SET"; value: Validator[] }
  | { record: "DATANET"; value: Datanet }
  | { record: "CONTRIBUTION"; value: Contribution }
  | { record: "DATANET-VERSION"; value: DatanetVersion }
  | { record: "DATANET-FRONTIER"; value: { count: number; nodes: Uint8Array[] } }
  | { record: "MODEL"; value: Model }
  | { record: "MODEL-VERSION"; value: ModelVersion }
  | { record: "INFERENCE"; value: Inference }
  | { record: "REWARDS"; value: Rewards }
  | { record: "INFERENCE-PAYOUTS"; value: InferencePayouts }
  | { record: "ID-LIST"; value: number[] }
  | { record: "GOV-PROPOSAL"; value: Proposal }
  | { record: "GOV-VOTE"; value: GovVote }
  | { record: "GOV-PARAMS"; value: ChainParams }
  | { record: "STATE-SCALAR"; value: { amount: bigint } | { u64: number } | { address: Uint8Array } | { present: true } };

/** One state entry: a key under a module prefix and its value. */
export type RecordEntry = { prefix: keyof typeof MODULE_PREFIX; parts: KeyPart[] } & RecordValue;

export type ModuleVectorInput =
  | ({ kind: "record" } & RecordEntry)
  | { kind: "module-state"; entries: RecordEntry[] }
  | { kind: "datanet-tree"; leaves: Uint8Array[] }
  | { kind: "datanet-proof"; leaves: Uint8Array[]; index: number };

function keyPart(p: KeyPart): Uint8Array {
  if ("u64" in p) return u64be(p.u64);
  if ("u32" in p) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, p.u32);
    return b;
  }
  if ("u8" in p) return Uint8Array.of(p.u8);
  return p.bytes;
}

export function entryKey(e: RecordEntry): Uint8Array {
  return stateKey(MODULE_PREFIX[e.prefix], ...e.parts.map(keyPart));
}

/** The value bytes, through the codec the modules write with. */
export function entryValue(e: RecordValue): Uint8Array {
  switch (e.record) {
    case "STAKING-VALIDATOR": return stakingValidatorCodec.encode(e.value);
    case "UNBONDING-LIST": return unbondingListCodec.encode(e.value);
    case "UNBONDING-GROUP": return unbondingGroupCodec.encode(e.value);
    case "STAKING-POOL": return stakingPoolCodec.encode(e.value);
    case "ADDRESS-LIST": return addressListCodec.encode(e.value);
    case "VALIDATOR-SET": return encodeValidatorSet(e.value);
    case "DATANET": return datanetCodec.encode(e.value);
    case "CONTRIBUTION": return contributionCodec.encode(e.value);
    case "DATANET-VERSION": return datanetVersionCodec.encode(e.value);
    case "DATANET-FRONTIER": return datanetFrontierCodec.encode(e.value);
    case "MODEL": return modelCodec.encode(e.value);
    case "MODEL-VERSION": return modelVersionCodec.encode(e.value);
    case "INFERENCE": return inferenceCodec.encode(e.value);
    case "REWARDS": return rewardsCodec.encode(e.value);
    case "INFERENCE-PAYOUTS": return inferencePayoutsCodec.encode(e.value);
    case "ID-LIST": return idListCodec.encode(e.value);
    case "GOV-PROPOSAL": return proposalCodec.encode(e.value);
    case "GOV-VOTE": return govVoteCodec.encode(e.value);
    case "GOV-PARAMS": return encodeParams(e.value);
    case "STATE-SCALAR": {
      const v = e.value;
      if ("amount" in v) return encodeAmount(v.amount);
      if ("u64" in v) return u64be(v.u64);
      if ("address" in v) return v.address;
      return PRESENT;
    }
  }
}

/** The datanet tree's frontier after appending the leaves one at a time, as acceptances do. */
function frontierOf(leaves: readonly Uint8Array[]): Uint8Array[] {
  let nodes: Uint8Array[] = [];
  leaves.forEach((leaf, i) => {
    nodes = merkleFrontierAppend(nodes, i, leaf);
  });
  return nodes;
}

/** What the code derives from one module vector's input, in derivation order. */
export function moduleAnswers(input: ModuleVectorInput): [ModuleRuleId | "VALIDATOR-SET" | "STATE-ROOT", string][] {
  switch (input.kind) {
    case "record":
      return [["STATE-KEY", toHex(entryKey(input))], [input.record, toHex(entryValue(input))]];
    case "module-state": {
      const tree = SparseMerkleTree.fromEntries(input.entries.map((e) => ({
        path: treePath(entryKey(e)),
        valueHash: valueHash(entryValue(e)),
      })));
      return [["STATE-ROOT", toHex(tree.rootHash)]];
    }
    case "datanet-tree": {
      // The root as the chain computes it at publish_version (from the frontier kept at each acceptance); the
      // test checks it against merkleRootOfHashes and the RPC's MerkleTree too.
      const nodes = frontierOf(input.leaves);
      const count = input.leaves.length;
      return [
        ["DATANET-ROOT", toHex(merkleFrontierRoot(nodes, count))],
        ["DATANET-FRONTIER", toHex(datanetFrontierCodec.encode({ count, nodes }))],
      ];
    }
    case "datanet-proof": {
      // As datanet_proveMembership serves it.
      const tree = MerkleTree.build(input.leaves.length, (i) => input.leaves[i]);
      return [["DATANET-PROOF", tree.proof(input.index).map(toHex).join(",")]];
    }
  }
}

import fc from "fast-check";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { equalBytes } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import type {
  AttributionWeight,
  CreateValidatorMsg,
  DatanetSettings,
  DatanetVersionRef,
} from "../../proto/module-msgs.ts";
import type { ProposalContent, VoteOption } from "../../proto/gov-msgs.ts";
import { decodeTx, type DecodedTx, type TxMsg } from "../../proto/tx.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import { TxError } from "../../state/errors.ts";
import type { BlockContext, BlockEvidence } from "../../state/block-context.ts";
import { beginBlock, executeTx } from "../../state/execute.ts";
import { genesisWrites } from "../../state/genesis.ts";
import { MODULE_PREFIX } from "../../state/keys.ts";
import { getInference, getRewards } from "../../state/modules/attribution/attribution.ts";
import { peekNextId } from "../../state/modules/common.ts";
import { getActiveProposalIds, getProposal } from "../../state/modules/gov/queries.ts";
import {
  acceptedContributionId,
  getContribution,
  getDatanet,
  getDatanetVersion,
} from "../../state/modules/datanets/datanets.ts";
import { getModel, trainedOnOf } from "../../state/modules/models/models.ts";
import {
  getCandidates,
  getShares,
  getValidator,
  possessionSignBytes,
  sharesValue,
} from "../../state/modules/staking/staking.ts";
import { type ChainParams, DEFAULT_PARAMS } from "../../state/params.ts";
import { Overlay, type StateReader } from "../../state/view.ts";
import { TestAccount } from "./accounts.ts";
import { MemoryState } from "./memory-state.ts";

/**
 * The economy workload: a small chain (two genesis validators, six accounts) and random blocks of every
 * message kind, aimed at the state so that long lifecycles get through. Shared by the supply-conservation
 * property test and the replay test (which pins the state roots a fixed seed produces).
 */

export const CHAIN = "opl-test-1";
export const OPEN = 10n ** 18n;
export const FEE = DEFAULT_PARAMS.minFee;
export const BLOCKS = 15;

/** Small windows so unbonding completes, inferences expire and validators are jailed and unjailed in a run. */
export const PARAMS: ChainParams = {
  ...DEFAULT_PARAMS,
  staking: {
    ...DEFAULT_PARAMS.staking,
    unbondingBlocks: 3,
    signedBlocksWindow: 4,
    maxMissedBlocks: 1,
    downtimeJailBlocks: 2,
  },
  attribution: { ...DEFAULT_PARAMS.attribution, inferenceExpiryBlocks: 3 },
  // Proposals live a few blocks, so a run sees them dropped, tallied and executed.
  gov: {
    ...DEFAULT_PARAMS.gov,
    minDeposit: 2n * OPEN,
    depositPeriodBlocks: 3,
    votingPeriodBlocks: 3,
    maxActiveProposals: 4,
  },
};

// Fixed keys (not generateSecretKey) so a fast-check seed replays exactly: addresses order validator sets.
/** Accounts 0-4 are funded at genesis; account 5 starts empty (its txs are not includable until funded). */
export const ACCOUNTS = Array.from({ length: 6 }, (_, i) => new TestAccount(new Uint8Array(32).fill(i + 1)));
export const FUNDED = 5;
export const GENESIS_BALANCE = 1000n * OPEN;
/** An address nobody holds a key to: transfers to it leave the senders' hands for good. */
const OUTSIDER = new Uint8Array(20).fill(0xaa);
const ADDRESSES = [...ACCOUNTS.map((a) => a.address), OUTSIDER];

/** Consensus keys: 0 and 1 belong to the genesis validators, 2-4 are free for create_validator. */
const CONSENSUS_SECRETS = Array.from({ length: 5 }, (_, i) => new Uint8Array(32).fill(0x40 + i));
const CONSENSUS_PUBKEYS = CONSENSUS_SECRETS.map(publicKeyOf);
export const CONSENSUS_ADDRESSES = CONSENSUS_PUBKEYS.map(addressFromPublicKey);

export function genesisState(): MemoryState {
  const state = new MemoryState();
  state.apply(
    genesisWrites({
      chainId: CHAIN,
      genesisTimeMs: 0,
      params: PARAMS,
      validators: [0, 1].map((i) => ({
        address: CONSENSUS_ADDRESSES[i],
        pubkey: CONSENSUS_PUBKEYS[i],
        operator: ACCOUNTS[i].address,
        moniker: `genesis-${i}`,
        selfStake: 100n * OPEN,
      })),
      accounts: ACCOUNTS.slice(0, FUNDED).map((a) => ({ address: a.address, balance: GENESIS_BALANCE })),
    }),
  );
  return state;
}

// ---- the workload ----

/**
 * One transaction to attempt. Without `aim` it is sent as generated (ids from small ranges: many fail).
 * With `aim`, resolve() points it at the state first (the owner of the datanet it names sends it, the
 * weights name contributions the model was trained on...), so that long lifecycles (contribute, review,
 * publish, register, pay, record, claim) get through; `aim` picks among the candidates.
 */
export interface Op {
  from: number;
  aim: number | undefined;
  fee: bigint;
  msg: TxMsg;
}

export interface BlockSpec {
  ops: Op[];
  proposer: number;
  /** Indexes into CONSENSUS_ADDRESSES; `hash` picks from a few evidence hashes, so some repeat. */
  evidence: { validator: number; hash: number }[];
  /** Per consensus key: whether it signed the last commit. */
  signed: boolean[];
}

export const hash32 = (n: number) => new Uint8Array(32).fill(n);
export const who = fc.nat({ max: ACCOUNTS.length - 1 });
export const address = fc.nat({ max: ADDRESSES.length - 1 }).map((i) => ADDRESSES[i]);
const addressList = fc.subarray(ADDRESSES.slice(0, ACCOUNTS.length), { maxLength: 3 });
/** From dust to more than anyone holds: some succeed, some do not. */
export const amount = fc
  .tuple(fc.integer({ min: 1, max: 999 }), fc.integer({ min: 12, max: 21 }))
  .map(([m, e]) => BigInt(m) * 10n ** BigInt(e));
const price = fc.constantFrom(0n, 1_000_007n, 10n ** 15n + 3n, OPEN);
const datanetId = fc.integer({ min: 1, max: 3 });
const contributionId = fc.integer({ min: 1, max: 8 });
const modelId = fc.integer({ min: 1, max: 4 });
const inferenceId = fc.integer({ min: 1, max: 10 });
const version = fc.integer({ min: 1, max: 2 });
const refs: fc.Arbitrary<DatanetVersionRef[]> = fc.uniqueArray(
  fc.record({ datanetId: fc.integer({ min: 1, max: 2 }), version }),
  { maxLength: 2, selector: (r) => `${r.datanetId}/${r.version}` },
);

const settings: fc.Arbitrary<DatanetSettings> = fc
  .record({
    curators: addressList,
    contributionStake: fc.constantFrom(0n, 10n ** 15n, OPEN, 3n * OPEN),
    /** 0-2 quarters of the stake; 5 is more than the stake (refused before the ante). */
    feeQuarters: fc.constantFrom(0, 1, 2, 4, 4, 5),
    allowListed: fc.constantFrom(false, false, false, true),
    contributors: addressList,
  })
  .map((s) => ({
    description: "d",
    license: "cc-by-4.0",
    curators: s.curators,
    contributionStake: s.contributionStake,
    reviewFee: s.feeQuarters === 5 ? s.contributionStake + 1n : (s.contributionStake * BigInt(s.feeQuarters)) / 4n,
    allowListed: s.allowListed,
    contributors: s.contributors,
  }));

const weight: fc.Arbitrary<AttributionWeight> = fc.oneof(
  fc.record({
    contributionId,
    datanetId: fc.constant(0),
    version: fc.constant(0),
    ppm: fc.integer({ min: 1, max: 400_000 }),
  }),
  fc.record({
    contributionId: fc.constant(0),
    datanetId: fc.integer({ min: 1, max: 2 }),
    version,
    ppm: fc.integer({ min: 1, max: 400_000 }),
  }),
);

/** A create_validator gets its consensus key's proof of possession for the account that sends it. */
function withPossession(op: { from: number; msg: TxMsg }): { from: number; msg: TxMsg } {
  if (op.msg.type !== "create_validator") return op;
  const key = CONSENSUS_PUBKEYS.findIndex((k) => equalBytes(k, (op.msg as CreateValidatorMsg).consensusPubkey));
  const claim = possessionSignBytes(CHAIN, ACCOUNTS[op.from].address);
  return { from: op.from, msg: { ...op.msg, consensusSignature: signPortable(claim, CONSENSUS_SECRETS[key]) } };
}

/** One arbitrary per message type, each with its weight in the mix. */
/** The economy's message mix (every message kind before governance): the replay fixture was recorded with it. */
export const ECONOMY_MSGS: WeightedMsg[] = [
  { weight: 3, arbitrary: fc.record({ type: fc.constant("transfer"), to: address, amount }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant("create_validator"),
      consensusPubkey: fc.nat({ max: CONSENSUS_PUBKEYS.length - 1 }).map((i) => CONSENSUS_PUBKEYS[i]),
      moniker: fc.constant("v"),
      selfStake: fc.constantFrom(PARAMS.staking.minSelfStake, 5n * OPEN, 20n * OPEN),
      consensusSignature: fc.constant(new Uint8Array(64)), // signed for its sender when the tx is built
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("stake"), validator: address, amount }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("unstake"), validator: address, amount }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("unjail") }) },
  {
    weight: 4,
    arbitrary: settings.map((s) => ({ type: "create_datanet" as const, name: "data", ...s })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(datanetId, settings)
      .map(([id, s]) => ({ type: "update_datanet" as const, datanetId: id, ...s })),
  },
  {
    weight: 7,
    arbitrary: fc.record({
      type: fc.constant("contribute"),
      datanetId,
      contentHash: fc.nat({ max: 255 }).map(hash32),
      uri: fc.constant("ipfs://item"),
      sizeBytes: fc.nat({ max: 1 << 20 }),
      metadata: fc.constantFrom("", "{\"lang\":\"en\"}"),
    }),
  },
  {
    weight: 7,
    arbitrary: fc.record({
      type: fc.constant("review_contribution"),
      contributionId,
      accept: fc.constantFrom(true, true, false),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant("slash_contribution"), contributionId, reason: fc.constant("spam") }),
  },
  { weight: 5, arbitrary: fc.record({ type: fc.constant("publish_version"), datanetId }) },
  {
    weight: 3,
    arbitrary: fc
      .record({ adapter: fc.boolean(), parentId: modelId, trainedOn: refs, price, weights: fc.nat({ max: 255 }) })
      .map((r) => ({
        type: "register_model" as const,
        name: "model",
        kind: r.adapter ? ("adapter" as const) : ("model" as const),
        parentId: r.adapter ? r.parentId : 0,
        baseModel: r.adapter ? "" : "llama",
        weightsHash: hash32(r.weights),
        uri: "ipfs://weights",
        trainedOn: r.trainedOn,
        price: r.price,
      })),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant("publish_model_version"),
      modelId,
      weightsHash: fc.nat({ max: 255 }).map(hash32),
      uri: fc.constant("ipfs://weights2"),
      trainedOn: refs,
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("set_model_price"), modelId, price }) },
  {
    weight: 2,
    arbitrary: fc.record({ modelId, add: addressList, remove: addressList }).map((r) => ({
      type: "set_model_operators" as const,
      modelId: r.modelId,
      add: r.add,
      remove: r.remove.filter((a) => !r.add.includes(a)),
    })),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("retire_model"), modelId }) },
  {
    weight: 7,
    arbitrary: fc.record({
      type: fc.constant("pay_inference"),
      modelId,
      requestHash: fc.nat({ max: 255 }).map(hash32),
      maxPrice: fc.constantFrom(0n, 10n ** 15n, 10n * OPEN),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant("record_inference"),
      inferenceId,
      outputHash: fc.nat({ max: 255 }).map(hash32),
      // Mostly with weights (an empty list is valid too: the data share goes to the treasury).
      weights: fc.oneof(
        { weight: 1, arbitrary: fc.constant<AttributionWeight[]>([]) },
        { weight: 4, arbitrary: fc.array(weight, { minLength: 1, maxLength: 2 }) },
      ),
    }),
  },
  { weight: 3, arbitrary: fc.record({ type: fc.constant("claim_rewards") }) },
];

const proposalContent: fc.Arbitrary<ProposalContent> = fc.oneof(
  fc.constant<ProposalContent>({ kind: "text" }),
  fc
    .constantFrom(
      ["attribution.protocolSharePpm", "150000"],
      ["attribution.ownerSharePpm", "850000"], // valid alone, not after a raised protocol share: fails then
      ["minFee", "2000000000000"],
      ["staking.unbondingBlocks", "4"],
    )
    .map(([key, value]): ProposalContent => ({ kind: "params", changes: [{ key, value }] })),
  fc.record({ to: address, amount }).map((r): ProposalContent => ({ kind: "spend", ...r })),
  fc
    .record({ datanetId, version, amount })
    .map((r): ProposalContent => ({ kind: "spend_datanet", ...r })),
  fc.constant<ProposalContent>({ kind: "upgrade", name: "v2", height: 1000 }),
);

/** Governance's messages, for the supply property (the replay fixture predates them). */
export const GOV_MSGS: WeightedMsg[] = [
  {
    weight: 3,
    arbitrary: fc
      .record({ content: proposalContent, deposit: fc.constantFrom(0n, OPEN, 2n * OPEN, 3n * OPEN) })
      .map((r) => ({ type: "submit_proposal" as const, title: "p", description: "", ...r })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ proposalId: fc.integer({ min: 1, max: 6 }), amount: fc.constantFrom(OPEN, 2n * OPEN) })
      .map((r) => ({ type: "deposit" as const, ...r })),
  },
  {
    weight: 6,
    arbitrary: fc
      .record({
        proposalId: fc.integer({ min: 1, max: 6 }),
        option: fc.constantFrom<VoteOption[]>("yes", "yes", "no", "abstain", "no_with_veto"),
      })
      .map((r) => ({ type: "vote" as const, validators: [], ...r })),
  },
];

/** The bank's multi-send, for the supply property (the replay fixture predates it): 1-4 recipients, the sender may be one. */
export const BANK_MSGS: WeightedMsg[] = [
  {
    weight: 3,
    arbitrary: fc
      .uniqueArray(fc.nat({ max: ADDRESSES.length - 1 }), { minLength: 1, maxLength: 4 })
      .chain((picks) => fc.tuple(...picks.map((i) => amount.map((a) => ({ to: ADDRESSES[i], amount: a })))))
      .map((outputs) => ({ type: "multi_send" as const, outputs })),
  },
];

export type WeightedMsg = { weight: number; arbitrary: fc.Arbitrary<TxMsg> };

const opOf = (msgs: readonly WeightedMsg[]): fc.Arbitrary<Op> =>
  fc.record({
    from: who,
    aim: fc.option(fc.nat({ max: 1000 }), { freq: 4 }).map((a) => a ?? undefined),
    fee: fc.constantFrom(FEE, FEE, FEE, 7n * FEE),
    msg: fc.oneof(...msgs),
  });

/** One block of random ops drawn from `msgs`, a proposer, maybe evidence, and who signed the last commit. */
export const blockOf = (msgs: readonly WeightedMsg[]): fc.Arbitrary<BlockSpec> => fc.record({
  ops: fc.array(opOf(msgs), { maxLength: 24, size: "max" }),
  proposer: who,
  // About one block in thirteen carries evidence (so a run tombstones a validator or two, not all of them).
  evidence: fc.oneof(
    { weight: 12, arbitrary: fc.constant<BlockSpec["evidence"]>([]) },
    {
      weight: 1,
      arbitrary: fc
        .record({ validator: fc.nat({ max: CONSENSUS_ADDRESSES.length - 1 }), hash: fc.nat({ max: 3 }) })
        .map((e) => [e]),
    },
  ),
  signed: fc.array(fc.nat({ max: 3 }).map((n) => n > 0), {
    minLength: CONSENSUS_ADDRESSES.length,
    maxLength: CONSENSUS_ADDRESSES.length,
  }),
});

// ---- aiming an op at the state ----

const accountIndex = (address: Uint8Array) => ACCOUNTS.findIndex((a) => equalBytes(a.address, address));
export const pick = <T>(list: readonly T[], aim: number): T | undefined =>
  list.length === 0 ? undefined : list[aim % list.length];
/** One of `candidates` (picked by aim) that is one of our accounts, as a sender index. */
export function senderAmong(candidates: readonly Uint8Array[], aim: number): number | undefined {
  const ours = candidates.map(accountIndex).filter((i) => i >= 0);
  return pick(ours, aim);
}

function curatorsOf(view: StateReader, datanetId: number): Uint8Array[] {
  const d = getDatanet(view, datanetId);
  return d === undefined ? [] : [d.owner, ...d.curators];
}

/** In place of the generated refs: one or two published datanet versions, if there are any. */
function publishedRefs(view: StateReader, aim: number): DatanetVersionRef[] {
  const published: DatanetVersionRef[] = [];
  for (const datanetId of ids(view, MODULE_PREFIX.datanetSeq)) {
    const count = getDatanet(view, datanetId)?.versionCount ?? 0;
    for (let version = 1; version <= count; version++) published.push({ datanetId, version });
  }
  const refs = published.length === 0 ? [] : [published[aim % published.length]];
  const second = published.length > 1 && aim % 2 === 0 ? published[(aim >> 1) % published.length] : undefined;
  if (second !== undefined && second !== refs[0]) refs.push(second);
  return refs;
}

/** Points weights at the model's lineage: versions it was trained on and contributions in them. */
function lineageWeights(view: StateReader, modelId: number, weights: readonly AttributionWeight[]) {
  const model = getModel(view, modelId);
  const lineage = model === undefined ? [] : trainedOnOf(view, model);
  if (lineage.length === 0) return [...weights];
  const out: AttributionWeight[] = [];
  for (const w of weights) {
    const ref = lineage[(w.contributionId + w.datanetId + w.version) % lineage.length];
    let next: AttributionWeight;
    if (w.contributionId > 0) {
      const count = getDatanetVersion(view, ref.datanetId, ref.version)?.count ?? 0;
      const id = count === 0 ? undefined : acceptedContributionId(view, ref.datanetId, w.ppm % count);
      next = { contributionId: id ?? w.contributionId, datanetId: 0, version: 0, ppm: w.ppm };
    } else {
      next = { contributionId: 0, datanetId: ref.datanetId, version: ref.version, ppm: w.ppm };
    }
    const same = (o: AttributionWeight) =>
      o.contributionId === next.contributionId && o.datanetId === next.datanetId && o.version === next.version;
    if (!out.some(same)) out.push(next);
  }
  return out;
}

/** Mostly (by aim) narrows `list` to the items whose model was trained on some data, if there are any. */
function preferTrained(view: StateReader, list: number[], modelOf: (item: number) => number, aim: number): number[] {
  if (aim % 3 === 0) return list;
  const trained = list.filter((item) => {
    const model = getModel(view, modelOf(item));
    return model !== undefined && trainedOnOf(view, model).length > 0;
  });
  return trained.length > 0 ? trained : list;
}

/** Every id a sequence has handed out. */
export function ids(view: StateReader, seqKey: Uint8Array): number[] {
  return Array.from({ length: peekNextId(view, seqKey) - 1 }, (_, i) => i + 1);
}

export function resolve(view: StateReader, height: number, op: Op): { from: number; msg: TxMsg } {
  const { aim, msg } = op;
  const raw = { from: op.from, msg };
  if (aim === undefined) return raw;
  const accounts = ACCOUNTS.map((a) => a.address);
  switch (msg.type) {
    case "stake": {
      const validator = pick(getCandidates(view), aim);
      return validator === undefined ? raw : { from: op.from, msg: { ...msg, validator } };
    }
    case "unstake": {
      const validator = pick(getCandidates(view), aim);
      const v = validator === undefined ? undefined : getValidator(view, validator);
      if (validator === undefined || v === undefined) return raw;
      const from = senderAmong(accounts.filter((a) => getShares(view, a, validator) > 0n), aim);
      if (from === undefined) return raw;
      const value = sharesValue(v, getShares(view, accounts[from], validator));
      const amount = (value * BigInt(1 + (aim % 4))) / 4n; // a quarter to all of it
      return { from, msg: { ...msg, validator, amount: amount > 0n ? amount : msg.amount } };
    }
    case "unjail": {
      const jailed = getCandidates(view).filter((o) => {
        const v = getValidator(view, o);
        return v !== undefined && !v.tombstoned && v.jailedUntil > 0 && (aim % 3 === 0 || v.jailedUntil <= height);
      });
      return { from: senderAmong(jailed, aim) ?? op.from, msg };
    }
    case "contribute": {
      const datanetId = pick(ids(view, MODULE_PREFIX.datanetSeq), aim) ?? msg.datanetId;
      const d = getDatanet(view, datanetId);
      const from = d?.allowListed ? senderAmong(d.contributors, aim) ?? op.from : op.from;
      return { from, msg: { ...msg, datanetId } };
    }
    case "update_datanet":
    case "publish_version": {
      const datanetId = pick(ids(view, MODULE_PREFIX.datanetSeq), aim) ?? msg.datanetId;
      return { from: senderAmong(curatorsOf(view, datanetId), aim) ?? op.from, msg: { ...msg, datanetId } };
    }
    case "review_contribution":
    case "slash_contribution": {
      const wanted = msg.type === "review_contribution" ? "pending" : "accepted";
      const candidates = ids(view, MODULE_PREFIX.contributionSeq).filter(
        (id) => getContribution(view, id)?.status === wanted,
      );
      const contributionId = pick(candidates, aim) ?? msg.contributionId;
      const c = getContribution(view, contributionId);
      if (c === undefined) return raw;
      return { from: senderAmong(curatorsOf(view, c.datanetId), aim) ?? op.from, msg: { ...msg, contributionId } };
    }
    case "register_model": {
      const parentId = msg.kind === "adapter" ? pick(ids(view, MODULE_PREFIX.modelSeq), aim) ?? msg.parentId : 0;
      return { from: op.from, msg: { ...msg, parentId, trainedOn: publishedRefs(view, aim) } };
    }
    case "publish_model_version":
    case "set_model_price":
    case "set_model_operators":
    case "retire_model": {
      const candidates = ids(view, MODULE_PREFIX.modelSeq).filter(
        (id) => msg.type === "set_model_operators" || getModel(view, id)?.retired === false,
      );
      const modelId = pick(candidates, aim) ?? msg.modelId;
      const owner = getModel(view, modelId)?.owner;
      const from = owner === undefined ? op.from : senderAmong([owner], aim) ?? op.from;
      if (msg.type !== "publish_model_version") return { from, msg: { ...msg, modelId } };
      return { from, msg: { ...msg, modelId, trainedOn: publishedRefs(view, aim) } };
    }
    case "pay_inference": {
      const candidates = ids(view, MODULE_PREFIX.modelSeq).filter((id) => getModel(view, id)?.retired === false);
      const modelId = pick(preferTrained(view, candidates, (id) => id, aim), aim) ?? msg.modelId;
      const price = getModel(view, modelId)?.price;
      const maxPrice = price === undefined || aim % 4 === 0 ? msg.maxPrice : price;
      return { from: op.from, msg: { ...msg, modelId, maxPrice } };
    }
    case "record_inference": {
      const open = ids(view, MODULE_PREFIX.inferenceSeq).filter((id) => getInference(view, id)?.status === "paid");
      const modelOf = (id: number) => getInference(view, id)?.modelId ?? 0;
      const inferenceId = pick(preferTrained(view, open, modelOf, aim), aim) ?? msg.inferenceId;
      const model = getModel(view, getInference(view, inferenceId)?.modelId ?? 0);
      if (model === undefined) return raw;
      return {
        from: senderAmong([model.owner, ...model.operators], aim) ?? op.from,
        msg: { ...msg, inferenceId, weights: lineageWeights(view, model.id, msg.weights) },
      };
    }
    case "claim_rewards":
      return { from: senderAmong(accounts.filter((a) => getRewards(view, a).accrued > 0n), aim) ?? op.from, msg };
    case "deposit": {
      const open = getActiveProposalIds(view).filter((id) => getProposal(view, id)?.status === "deposit_period");
      return { from: op.from, msg: { ...msg, proposalId: pick(open, aim) ?? msg.proposalId } };
    }
    case "vote": {
      const voting = getActiveProposalIds(view).filter((id) => getProposal(view, id)?.status === "voting_period");
      const proposalId = pick(voting, aim) ?? msg.proposalId;
      // A validator's operator (validators: none), or a staker naming the validators it staked with.
      const operators = getCandidates(view);
      if (aim % 2 === 0) {
        return { from: senderAmong(operators, aim) ?? op.from, msg: { ...msg, proposalId, validators: [] } };
      }
      const stakers = accounts.filter((a) => operators.some((o) => getShares(view, a, o) > 0n));
      const from = senderAmong(stakers, aim) ?? op.from;
      const validators = operators.filter((o) => getShares(view, accounts[from], o) > 0n).slice(0, 2);
      return { from, msg: { ...msg, proposalId, validators } };
    }
    case "submit_proposal": {
      if (msg.content.kind !== "spend_datanet") return raw;
      const refs = publishedRefs(view, aim);
      if (refs.length === 0) return raw;
      return { from: op.from, msg: { ...msg, content: { ...msg.content, ...refs[0] } } };
    }
    default:
      return raw;
  }
}

/** The block context of block `height` of a run: proposer, evidence and last-commit votes from the spec. */
export function blockContext(spec: BlockSpec, height: number): BlockContext {
  return {
    chainId: CHAIN,
    height,
    timeMs: 1_700_000_000_000 + height * 1000,
    proposer: ACCOUNTS[spec.proposer].address,
    params: PARAMS,
    lastCommitVotes:
      height === 1 ? [] : CONSENSUS_ADDRESSES.map((a, k) => ({ address: a, signed: spec.signed[k] })),
    evidence: spec.evidence.map(
      (e): BlockEvidence => ({
        hash: sha256(Uint8Array.of(e.validator, e.hash)),
        validator: CONSENSUS_ADDRESSES[e.validator],
        height: Math.max(1, height - 1),
      }),
    ),
  };
}

/**
 * As a proposer would: runs the block's ops on a scratch view over `state` and keeps only the txs whose ante
 * passes (a dropped tx does not use its nonce). Advances `nonces` for the kept ones.
 */
export function includableTxs(
  state: StateReader,
  spec: BlockSpec,
  ctx: BlockContext,
  nonces: number[],
  resolveOp: (view: StateReader, height: number, op: Op) => { from: number; msg: TxMsg } = resolve,
): { txs: DecodedTx[]; dropped: number } {
  const scratch = new Overlay(state);
  beginBlock(scratch, ctx);
  const txs: DecodedTx[] = [];
  let dropped = 0;
  for (const specOp of spec.ops) {
    const { from, msg } = withPossession(resolveOp(scratch, ctx.height, specOp));
    const account = ACCOUNTS[from];
    const built = signTx(
      { chainId: CHAIN, senderPubkey: account.publicKey, nonce: nonces[from], fee: specOp.fee, msg },
      (m) => account.sign(m),
    );
    const tx = decodeTx(built.bytes);
    try {
      executeTx(scratch, tx, ctx);
    } catch (err) {
      if (!(err instanceof TxError)) throw err;
      dropped++;
      continue; // not includable: its nonce stays unused
    }
    nonces[from]++;
    txs.push(tx);
  }
  return { txs, dropped };
}

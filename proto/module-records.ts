import { ADDRESS_LENGTH } from "../crypto/address.ts";
import { PUBLIC_KEY_LENGTH } from "../crypto/ed25519.ts";
import {
  decodeAmount,
  decodeCanonical,
  encodeAmount,
  encodeMessage,
  type Fields,
  fixedBytes,
  uint,
} from "./codec.ts";
import {
  address,
  addresses,
  type AttributionWeight,
  type DatanetVersionRef,
  HASH_BYTES,
  type ModelKind,
  modelKindFrom,
  modelKindNumber,
  refFields,
  refFrom,
  str,
  weightFields,
  weightFrom,
} from "./module-msgs.ts";
import { pb } from "./schema.ts";

/**
 * The native modules' state records (values in the state tree) and their canonical encodings. The module
 * code in state/modules/ reads and writes them; the RPC turns them into JSON views.
 */

const optAddress = (v: unknown, what: string) => fixedBytes(v, ADDRESS_LENGTH, what, true);
const optHash = (v: unknown, what: string) => fixedBytes(v, HASH_BYTES, what, true);

export function codec<T>(type: keyof typeof pb, what: string, to: (v: T) => Fields, from: (f: Fields) => T) {
  return {
    encode: (v: T): Uint8Array => encodeMessage(pb[type], to(v)),
    decode: (bytes: Uint8Array): T => from(decodeCanonical(pb[type], bytes, what)),
  };
}

// ---- staking ----

export interface StakingValidator {
  operator: Uint8Array;
  consensusPubkey: Uint8Array;
  moniker: string;
  tokens: bigint;
  shares: bigint;
  /** Jailed until this height (0: not jailed). */
  jailedUntil: number;
  tombstoned: boolean;
  /** The liveness window (height / signedBlocksWindow) that windowMissed counts misses in. */
  missWindow: number;
  windowMissed: number;
  createdHeight: number;
  slashed: bigint;
}

export const stakingValidatorCodec = codec<StakingValidator>(
  "StakingValidator",
  "staking validator",
  (v) => ({ ...v, tokens: encodeAmount(v.tokens), shares: encodeAmount(v.shares), slashed: encodeAmount(v.slashed) }),
  (f) => ({
    operator: address(f.operator, "operator"),
    consensusPubkey: fixedBytes(f.consensusPubkey, PUBLIC_KEY_LENGTH, "consensus public key"),
    moniker: str(f.moniker),
    tokens: decodeAmount(f.tokens, "tokens"),
    shares: decodeAmount(f.shares, "shares"),
    jailedUntil: uint(f.jailedUntil, "jailed until"),
    tombstoned: f.tombstoned === true,
    missWindow: uint(f.missWindow, "miss window"),
    windowMissed: uint(f.windowMissed, "window missed"),
    createdHeight: uint(f.createdHeight, "created height"),
    slashed: decodeAmount(f.slashed, "slashed"),
  }),
);

export interface UnbondingEntry {
  delegator: Uint8Array;
  validator: Uint8Array;
  amount: bigint;
  completionHeight: number;
  creationHeight: number;
}

export const unbondingListCodec = codec<UnbondingEntry[]>(
  "UnbondingList",
  "unbonding list",
  (list) => ({ entries: list.map((e) => ({ ...e, amount: encodeAmount(e.amount) })) }),
  (f) =>
    ((f.entries as Fields[] | undefined) ?? []).map((e) => ({
      delegator: address(e.delegator, "delegator"),
      validator: address(e.validator, "validator"),
      amount: decodeAmount(e.amount, "unbonding amount"),
      completionHeight: uint(e.completionHeight, "completion height"),
      creationHeight: uint(e.creationHeight, "creation height"),
    })),
);

/** The unbondings from one validator created at one height (state/keys.ts `stakingUnbondingGroup`). */
export interface UnbondingGroup {
  /** Everything unstaked from the validator at that height. */
  total: bigint;
  /** What slashes took of `total` (moved out of the unbonding pool when they were applied). */
  slashed: bigint;
  /** How much of `total` has completed and been paid out, less its share of `slashed`. */
  completed: bigint;
}

export const unbondingGroupCodec = codec<UnbondingGroup>(
  "UnbondingGroup",
  "unbonding group",
  (g) => ({ total: encodeAmount(g.total), slashed: encodeAmount(g.slashed), completed: encodeAmount(g.completed) }),
  (f) => ({
    total: decodeAmount(f.total, "unbonding total"),
    slashed: decodeAmount(f.slashed, "unbonding slashed"),
    completed: decodeAmount(f.completed, "unbonding completed"),
  }),
);

export interface StakingPool {
  bonded: bigint;
  unbonding: bigint;
}

export const stakingPoolCodec = codec<StakingPool>(
  "StakingPool",
  "staking pool",
  (p) => ({ bonded: encodeAmount(p.bonded), unbonding: encodeAmount(p.unbonding) }),
  (f) => ({ bonded: decodeAmount(f.bonded, "bonded"), unbonding: decodeAmount(f.unbonding, "unbonding") }),
);

export const addressListCodec = codec<Uint8Array[]>(
  "AddressList",
  "address list",
  (list) => ({ addresses: list }),
  (f) => addresses(f.addresses, "addresses"),
);

export const idListCodec = codec<number[]>(
  "IdList",
  "id list",
  (ids) => ({ ids }),
  (f) => ((f.ids as unknown[] | undefined) ?? []).map((id) => uint(id, "id")),
);

// ---- datanets ----

export interface Datanet {
  id: number;
  owner: Uint8Array;
  name: string;
  description: string;
  license: string;
  curators: Uint8Array[];
  contributionStake: bigint;
  reviewFee: bigint;
  allowListed: boolean;
  contributors: Uint8Array[];
  createdHeight: number;
  acceptedCount: number;
  versionCount: number;
  contributionCount: number;
}

export const datanetCodec = codec<Datanet>(
  "Datanet",
  "datanet",
  (d) => ({ ...d, contributionStake: encodeAmount(d.contributionStake), reviewFee: encodeAmount(d.reviewFee) }),
  (f) => ({
    id: uint(f.id, "datanet id"),
    owner: address(f.owner, "owner"),
    name: str(f.name),
    description: str(f.description),
    license: str(f.license),
    curators: addresses(f.curators, "curators"),
    contributionStake: decodeAmount(f.contributionStake, "contribution stake"),
    reviewFee: decodeAmount(f.reviewFee, "review fee"),
    allowListed: f.allowListed === true,
    contributors: addresses(f.contributors, "contributors"),
    createdHeight: uint(f.createdHeight, "created height"),
    acceptedCount: uint(f.acceptedCount, "accepted count"),
    versionCount: uint(f.versionCount, "version count"),
    contributionCount: uint(f.contributionCount, "contribution count"),
  }),
);

export type ContributionStatus = "pending" | "accepted" | "rejected" | "slashed";
const CONTRIBUTION_STATUS: ContributionStatus[] = ["pending", "accepted", "rejected", "slashed"];

export interface Contribution {
  id: number;
  datanetId: number;
  contributor: Uint8Array;
  contentHash: Uint8Array;
  uri: string;
  sizeBytes: number;
  metadata: string;
  /** The stake locked while pending (0 once returned, kept or slashed). */
  stake: bigint;
  status: ContributionStatus;
  /** Position in the datanet's acceptance order (meaningful once accepted). */
  acceptIndex: number;
  createdHeight: number;
  reviewedHeight: number;
  /** Who accepted or rejected it (empty while pending). */
  reviewer: Uint8Array;
  /** The stake it locked when made; a slash after acceptance charges the contributor this much again. */
  staked: bigint;
  /** What the slash took to the treasury (at most `staked`: what the contributor had). */
  slashedAmount: bigint;
}

export const contributionCodec = codec<Contribution>(
  "Contribution",
  "contribution",
  (c) => ({
    ...c,
    stake: encodeAmount(c.stake),
    status: CONTRIBUTION_STATUS.indexOf(c.status),
    staked: encodeAmount(c.staked),
    slashedAmount: encodeAmount(c.slashedAmount),
  }),
  (f) => {
    const status = CONTRIBUTION_STATUS[uint(f.status, "contribution status")];
    if (status === undefined) throw new Error(`contribution status ${f.status} is unknown`);
    return {
      id: uint(f.id, "contribution id"),
      datanetId: uint(f.datanetId, "datanet id"),
      contributor: address(f.contributor, "contributor"),
      contentHash: fixedBytes(f.contentHash, HASH_BYTES, "content hash"),
      uri: str(f.uri),
      sizeBytes: uint(f.sizeBytes, "size"),
      metadata: str(f.metadata),
      stake: decodeAmount(f.stake, "stake"),
      status,
      acceptIndex: uint(f.acceptIndex, "accept index"),
      createdHeight: uint(f.createdHeight, "created height"),
      reviewedHeight: uint(f.reviewedHeight, "reviewed height"),
      reviewer: optAddress(f.reviewer, "reviewer"),
      staked: decodeAmount(f.staked, "staked"),
      slashedAmount: decodeAmount(f.slashedAmount, "slashed amount"),
    };
  },
);

export interface DatanetVersion {
  datanetId: number;
  version: number;
  root: Uint8Array;
  count: number;
  height: number;
}

export const datanetVersionCodec = codec<DatanetVersion>(
  "DatanetVersion",
  "datanet version",
  (v) => ({ ...v }),
  (f) => ({
    datanetId: uint(f.datanetId, "datanet id"),
    version: uint(f.version, "version"),
    root: fixedBytes(f.root, HASH_BYTES, "version root"),
    count: uint(f.count, "count"),
    height: uint(f.height, "height"),
  }),
);

export interface DatanetFrontier {
  /** How many accepted contributions the frontier covers (the datanet's acceptedCount). */
  count: number;
  /** Roots of the perfect subtrees over those content hashes, largest first (one per set bit of count). */
  nodes: Uint8Array[];
}

export const datanetFrontierCodec = codec<DatanetFrontier>(
  "DatanetFrontier",
  "datanet frontier",
  (f) => ({ ...f }),
  (f) => ({
    count: uint(f.count, "count"),
    nodes: ((f.nodes as unknown[] | undefined) ?? []).map((n, i) => fixedBytes(n, HASH_BYTES, `nodes[${i}]`)),
  }),
);

// ---- models ----

export interface Model {
  id: number;
  owner: Uint8Array;
  name: string;
  kind: ModelKind;
  parentId: number;
  baseModel: string;
  weightsHash: Uint8Array;
  uri: string;
  /** The union of the datanet versions its versions were trained on, sorted by (datanet, version). */
  trainedOn: DatanetVersionRef[];
  price: bigint;
  operators: Uint8Array[];
  retired: boolean;
  version: number;
  createdHeight: number;
  updatedHeight: number;
}

export const modelCodec = codec<Model>(
  "Model",
  "model",
  (m) => ({
    ...m,
    kind: modelKindNumber(m.kind),
    trainedOn: m.trainedOn.map(refFields),
    price: encodeAmount(m.price),
  }),
  (f) => ({
    id: uint(f.id, "model id"),
    owner: address(f.owner, "owner"),
    name: str(f.name),
    kind: modelKindFrom(f.kind),
    parentId: uint(f.parentId, "parent id"),
    baseModel: str(f.baseModel),
    weightsHash: fixedBytes(f.weightsHash, HASH_BYTES, "weights hash"),
    uri: str(f.uri),
    trainedOn: ((f.trainedOn as Fields[] | undefined) ?? []).map((r, i) => refFrom(r, `trainedOn[${i}]`)),
    price: decodeAmount(f.price, "price"),
    operators: addresses(f.operators, "operators"),
    retired: f.retired === true,
    version: uint(f.version, "version"),
    createdHeight: uint(f.createdHeight, "created height"),
    updatedHeight: uint(f.updatedHeight, "updated height"),
  }),
);

export interface ModelVersion {
  modelId: number;
  version: number;
  weightsHash: Uint8Array;
  uri: string;
  trainedOn: DatanetVersionRef[];
  height: number;
}

export const modelVersionCodec = codec<ModelVersion>(
  "ModelVersion",
  "model version",
  (v) => ({ ...v, trainedOn: v.trainedOn.map(refFields) }),
  (f) => ({
    modelId: uint(f.modelId, "model id"),
    version: uint(f.version, "version"),
    weightsHash: fixedBytes(f.weightsHash, HASH_BYTES, "weights hash"),
    uri: str(f.uri),
    trainedOn: ((f.trainedOn as Fields[] | undefined) ?? []).map((r, i) => refFrom(r, `trainedOn[${i}]`)),
    height: uint(f.height, "height"),
  }),
);

// ---- attribution ----

export type InferenceStatus = "paid" | "recorded" | "expired";
const INFERENCE_STATUS: InferenceStatus[] = ["paid", "recorded", "expired"];

export interface Inference {
  id: number;
  modelId: number;
  payer: Uint8Array;
  requestHash: Uint8Array;
  price: bigint;
  createdHeight: number;
  /** Refunded at the end of this height if still unrecorded. */
  expiresHeight: number;
  status: InferenceStatus;
  operator: Uint8Array;
  outputHash: Uint8Array;
  weights: AttributionWeight[];
  recordedHeight: number;
}

export const inferenceCodec = codec<Inference>(
  "Inference",
  "inference",
  (i) => ({
    ...i,
    price: encodeAmount(i.price),
    status: INFERENCE_STATUS.indexOf(i.status),
    weights: i.weights.map(weightFields),
  }),
  (f) => {
    const status = INFERENCE_STATUS[uint(f.status, "inference status")];
    if (status === undefined) throw new Error(`inference status ${f.status} is unknown`);
    return {
      id: uint(f.id, "inference id"),
      modelId: uint(f.modelId, "model id"),
      payer: address(f.payer, "payer"),
      requestHash: fixedBytes(f.requestHash, HASH_BYTES, "request hash"),
      price: decodeAmount(f.price, "price"),
      createdHeight: uint(f.createdHeight, "created height"),
      expiresHeight: uint(f.expiresHeight, "expires height"),
      status,
      operator: optAddress(f.operator, "operator"),
      outputHash: optHash(f.outputHash, "output hash"),
      weights: ((f.weights as Fields[] | undefined) ?? []).map((w, i) => weightFrom(w, `weights[${i}]`)),
      recordedHeight: uint(f.recordedHeight, "recorded height"),
    };
  },
);

export interface Rewards {
  accrued: bigint;
  claimed: bigint;
}

export const rewardsCodec = codec<Rewards>(
  "Rewards",
  "rewards",
  (r) => ({ accrued: encodeAmount(r.accrued), claimed: encodeAmount(r.claimed) }),
  (f) => ({ accrued: decodeAmount(f.accrued, "accrued"), claimed: decodeAmount(f.claimed, "claimed") }),
);

/** One contribution's credit in a record_inference: the weight (index) that paid it, to whom, how much. */
export interface PayoutCredit {
  weight: number;
  contributionId: number;
  contributor: Uint8Array;
  amount: bigint;
}

/** Every credit one record_inference made: treasury + ownerAmount + the credits' amounts = price, exactly. */
export interface InferencePayouts {
  inferenceId: number;
  modelId: number;
  price: bigint;
  treasury: bigint;
  owner: Uint8Array;
  ownerAmount: bigint;
  credits: PayoutCredit[];
}

export const inferencePayoutsCodec = codec<InferencePayouts>(
  "InferencePayouts",
  "inference payouts",
  (p) => ({
    ...p,
    price: encodeAmount(p.price),
    treasury: encodeAmount(p.treasury),
    ownerAmount: encodeAmount(p.ownerAmount),
    credits: p.credits.map((c) => ({ ...c, amount: encodeAmount(c.amount) })),
  }),
  (f) => ({
    inferenceId: uint(f.inferenceId, "inference id"),
    modelId: uint(f.modelId, "model id"),
    price: decodeAmount(f.price, "price"),
    treasury: decodeAmount(f.treasury, "treasury"),
    owner: address(f.owner, "owner"),
    ownerAmount: decodeAmount(f.ownerAmount, "owner amount"),
    credits: ((f.credits as Fields[] | undefined) ?? []).map((c, i) => ({
      weight: uint(c.weight, `credits[${i}] weight`),
      contributionId: uint(c.contributionId, `credits[${i}] contribution id`),
      contributor: address(c.contributor, `credits[${i}] contributor`),
      amount: decodeAmount(c.amount, `credits[${i}] amount`),
    })),
  }),
);

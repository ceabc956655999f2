import { ADDRESS_LENGTH } from "../crypto/address.ts";
import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from "../crypto/ed25519.ts";
import { BANK_MSG_CODECS, type BankMsg } from "./bank-msgs.ts";
import { GOV_MSG_CODECS, type GovMsg } from "./gov-msgs.ts";
import { CodecError, decodeAmount, encodeAmount, type Fields, fixedBytes, uint } from "./codec.ts";

/**
 * The messages of the native modules (staking, datanets, models, attribution): their typed form, and the
 * conversion to and from protobufjs fields of the TxBody oneof (proto/opl.proto). Only shapes are checked
 * here (lengths of addresses and hashes, integer ranges); each module's stateless checks (string limits,
 * list sizes) and its rules live in state/modules/.
 */

export const HASH_BYTES = 32;

// ---- staking ----

export interface CreateValidatorMsg {
  type: "create_validator";
  consensusPubkey: Uint8Array;
  moniker: string;
  selfStake: bigint;
  /** The consensus key's signature of possessionSignBytes(chain id, operator): it is really theirs. */
  consensusSignature: Uint8Array;
}

export interface StakeMsg {
  type: "stake";
  /** The validator's operator address. */
  validator: Uint8Array;
  amount: bigint;
}

export interface UnstakeMsg {
  type: "unstake";
  validator: Uint8Array;
  amount: bigint;
}

export interface UnjailMsg {
  type: "unjail";
}

// ---- datanets ----

export interface DatanetSettings {
  description: string;
  license: string;
  curators: Uint8Array[];
  contributionStake: bigint;
  reviewFee: bigint;
  allowListed: boolean;
  contributors: Uint8Array[];
}

export interface CreateDatanetMsg extends DatanetSettings {
  type: "create_datanet";
  name: string;
}

export interface UpdateDatanetMsg extends DatanetSettings {
  type: "update_datanet";
  datanetId: number;
}

export interface ContributeMsg {
  type: "contribute";
  datanetId: number;
  contentHash: Uint8Array;
  uri: string;
  sizeBytes: number;
  metadata: string;
}

export interface ReviewContributionMsg {
  type: "review_contribution";
  contributionId: number;
  accept: boolean;
}

export interface SlashContributionMsg {
  type: "slash_contribution";
  contributionId: number;
  reason: string;
}

export interface PublishVersionMsg {
  type: "publish_version";
  datanetId: number;
}

// ---- models ----

export interface DatanetVersionRef {
  datanetId: number;
  version: number;
}

export type ModelKind = "model" | "adapter";

export interface RegisterModelMsg {
  type: "register_model";
  name: string;
  kind: ModelKind;
  /** The parent model of an adapter (0 for a full model). */
  parentId: number;
  baseModel: string;
  weightsHash: Uint8Array;
  uri: string;
  trainedOn: DatanetVersionRef[];
  price: bigint;
}

export interface PublishModelVersionMsg {
  type: "publish_model_version";
  modelId: number;
  weightsHash: Uint8Array;
  uri: string;
  trainedOn: DatanetVersionRef[];
}

export interface SetModelPriceMsg {
  type: "set_model_price";
  modelId: number;
  price: bigint;
}

export interface SetModelOperatorsMsg {
  type: "set_model_operators";
  modelId: number;
  add: Uint8Array[];
  remove: Uint8Array[];
}

export interface RetireModelMsg {
  type: "retire_model";
  modelId: number;
}

// ---- attribution ----

export interface PayInferenceMsg {
  type: "pay_inference";
  modelId: number;
  requestHash: Uint8Array;
  /** The most the payer agrees to pay: protects against a price raised between reading and paying. */
  maxPrice: bigint;
}

/** Either a contribution (contributionId > 0) or a whole datanet version (datanetId, version). */
export interface AttributionWeight {
  contributionId: number;
  datanetId: number;
  version: number;
  /** Parts per million of the data share. */
  ppm: number;
}

export interface RecordInferenceMsg {
  type: "record_inference";
  inferenceId: number;
  outputHash: Uint8Array;
  weights: AttributionWeight[];
}

export interface ClaimRewardsMsg {
  type: "claim_rewards";
}

export type StakingMsg = CreateValidatorMsg | StakeMsg | UnstakeMsg | UnjailMsg;
export type DatanetMsg =
  | CreateDatanetMsg
  | UpdateDatanetMsg
  | ContributeMsg
  | ReviewContributionMsg
  | SlashContributionMsg
  | PublishVersionMsg;
export type ModelMsg =
  | RegisterModelMsg
  | PublishModelVersionMsg
  | SetModelPriceMsg
  | SetModelOperatorsMsg
  | RetireModelMsg;
export type AttributionMsg = PayInferenceMsg | RecordInferenceMsg | ClaimRewardsMsg;
export type ModuleMsg = StakingMsg | DatanetMsg | ModelMsg | AttributionMsg | GovMsg | BankMsg;

// ---- field helpers ----

// Field readers shared by the module records (proto/module-records.ts) and the tx body (proto/tx.ts).
export const address = (v: unknown, what: string) => fixedBytes(v, ADDRESS_LENGTH, what);
export const hash = (v: unknown, what: string) => fixedBytes(v, HASH_BYTES, what);
export const str = (v: unknown) => (typeof v === "string" ? v : "");
export const addresses = (v: unknown, what: string) =>
  ((v as unknown[] | undefined) ?? []).map((a, i) => address(a, `${what}[${i}]`));

export function refFields(r: DatanetVersionRef): Fields {
  return { datanetId: r.datanetId, version: r.version };
}

export function refFrom(f: Fields, what: string): DatanetVersionRef {
  return { datanetId: uint(f.datanetId, `${what} datanet id`), version: uint(f.version, `${what} version`) };
}

export function weightFields(w: AttributionWeight): Fields {
  return { contributionId: w.contributionId, datanetId: w.datanetId, version: w.version, ppm: w.ppm };
}

export function weightFrom(f: Fields, what: string): AttributionWeight {
  return {
    contributionId: uint(f.contributionId, `${what} contribution id`),
    datanetId: uint(f.datanetId, `${what} datanet id`),
    version: uint(f.version, `${what} version`),
    ppm: uint(f.ppm, `${what} ppm`),
  };
}

function settingsFields(m: DatanetSettings): Fields {
  return {
    description: m.description,
    license: m.license,
    curators: m.curators,
    contributionStake: encodeAmount(m.contributionStake),
    reviewFee: encodeAmount(m.reviewFee),
    allowListed: m.allowListed,
    contributors: m.contributors,
  };
}

function settingsFrom(f: Fields): DatanetSettings {
  return {
    description: str(f.description),
    license: str(f.license),
    curators: addresses(f.curators, "curators"),
    contributionStake: decodeAmount(f.contributionStake, "contribution stake"),
    reviewFee: decodeAmount(f.reviewFee, "review fee"),
    allowListed: f.allowListed === true,
    contributors: addresses(f.contributors, "contributors"),
  };
}

const KIND_NUMBER: Record<ModelKind, number> = { model: 0, adapter: 1 };

export function modelKindFrom(n: unknown): ModelKind {
  const k = uint(n, "model kind");
  if (k === 0) return "model";
  if (k === 1) return "adapter";
  throw new CodecError(`model kind ${k} is unknown (0 = model, 1 = adapter)`);
}

export function modelKindNumber(kind: ModelKind): number {
  return KIND_NUMBER[kind];
}

/** One oneof case of TxBody.msg: its protobufjs field name and the conversions. */
interface MsgCodec {
  field: string;
  toFields(m: ModuleMsg): Fields;
  fromFields(f: Fields): ModuleMsg;
}

/**
 * Keyed by the message's `type`. The types are the oneof field names of opl.proto in snake_case; the
 * protobufjs field is their camelCase.
 */
export const MODULE_MSG_CODECS: { [T in ModuleMsg["type"]]: MsgCodec } = {
  ...GOV_MSG_CODECS,
  ...BANK_MSG_CODECS,
  create_validator: {
    field: "createValidator",
    toFields: (m) => {
      const c = m as CreateValidatorMsg;
      return {
        consensusPubkey: c.consensusPubkey,
        moniker: c.moniker,
        selfStake: encodeAmount(c.selfStake),
        consensusSignature: c.consensusSignature,
      };
    },
    fromFields: (f) => ({
      type: "create_validator",
      consensusPubkey: fixedBytes(f.consensusPubkey, PUBLIC_KEY_LENGTH, "consensus public key"),
      moniker: str(f.moniker),
      selfStake: decodeAmount(f.selfStake, "self stake"),
      consensusSignature: fixedBytes(f.consensusSignature, SIGNATURE_LENGTH, "consensus signature"),
    }),
  },
  stake: {
    field: "stake",
    toFields: (m) => ({ validator: (m as StakeMsg).validator, amount: encodeAmount((m as StakeMsg).amount) }),
    fromFields: (f) => ({
      type: "stake",
      validator: address(f.validator, "validator"),
      amount: decodeAmount(f.amount, "stake amount"),
    }),
  },
  unstake: {
    field: "unstake",
    toFields: (m) => ({ validator: (m as UnstakeMsg).validator, amount: encodeAmount((m as UnstakeMsg).amount) }),
    fromFields: (f) => ({
      type: "unstake",
      validator: address(f.validator, "validator"),
      amount: decodeAmount(f.amount, "unstake amount"),
    }),
  },
  unjail: { field: "unjail", toFields: () => ({}), fromFields: () => ({ type: "unjail" }) },
  create_datanet: {
    field: "createDatanet",
    toFields: (m) => ({ name: (m as CreateDatanetMsg).name, ...settingsFields(m as CreateDatanetMsg) }),
    fromFields: (f) => ({ type: "create_datanet", name: str(f.name), ...settingsFrom(f) }),
  },
  update_datanet: {
    field: "updateDatanet",
    toFields: (m) => ({ datanetId: (m as UpdateDatanetMsg).datanetId, ...settingsFields(m as UpdateDatanetMsg) }),
    fromFields: (f) => ({ type: "update_datanet", datanetId: uint(f.datanetId, "datanet id"), ...settingsFrom(f) }),
  },
  contribute: {
    field: "contribute",
    toFields: (m) => {
      const c = m as ContributeMsg;
      return {
        datanetId: c.datanetId,
        contentHash: c.contentHash,
        uri: c.uri,
        sizeBytes: c.sizeBytes,
        metadata: c.metadata,
      };
    },
    fromFields: (f) => ({
      type: "contribute",
      datanetId: uint(f.datanetId, "datanet id"),
      contentHash: hash(f.contentHash, "content hash"),
      uri: str(f.uri),
      sizeBytes: uint(f.sizeBytes, "size in bytes"),
      metadata: str(f.metadata),
    }),
  },
  review_contribution: {
    field: "reviewContribution",
    toFields: (m) => ({
      contributionId: (m as ReviewContributionMsg).contributionId,
      accept: (m as ReviewContributionMsg).accept,
    }),
    fromFields: (f) => ({
      type: "review_contribution",
      contributionId: uint(f.contributionId, "contribution id"),
      accept: f.accept === true,
    }),
  },
  slash_contribution: {
    field: "slashContribution",
    toFields: (m) => ({
      contributionId: (m as SlashContributionMsg).contributionId,
      reason: (m as SlashContributionMsg).reason,
    }),
    fromFields: (f) => ({
      type: "slash_contribution",
      contributionId: uint(f.contributionId, "contribution id"),
      reason: str(f.reason),
    }),
  },
  publish_version: {
    field: "publishVersion",
    toFields: (m) => ({ datanetId: (m as PublishVersionMsg).datanetId }),
    fromFields: (f) => ({ type: "publish_version", datanetId: uint(f.datanetId, "datanet id") }),
  },
  register_model: {
    field: "registerModel",
    toFields: (m) => {
      const r = m as RegisterModelMsg;
      return {
        name: r.name,
        kind: modelKindNumber(r.kind),
        parentId: r.parentId,
        baseModel: r.baseModel,
        weightsHash: r.weightsHash,
        uri: r.uri,
        trainedOn: r.trainedOn.map(refFields),
        price: encodeAmount(r.price),
      };
    },
    fromFields: (f) => ({
      type: "register_model",
      name: str(f.name),
      kind: modelKindFrom(f.kind),
      parentId: uint(f.parentId, "parent id"),
      baseModel: str(f.baseModel),
      weightsHash: hash(f.weightsHash, "weights hash"),
      uri: str(f.uri),
      trainedOn: ((f.trainedOn as Fields[] | undefined) ?? []).map((r, i) => refFrom(r, `trainedOn[${i}]`)),
      price: decodeAmount(f.price, "price"),
    }),
  },
  publish_model_version: {
    field: "publishModelVersion",
    toFields: (m) => {
      const p = m as PublishModelVersionMsg;
      return { modelId: p.modelId, weightsHash: p.weightsHash, uri: p.uri, trainedOn: p.trainedOn.map(refFields) };
    },
    fromFields: (f) => ({
      type: "publish_model_version",
      modelId: uint(f.modelId, "model id"),
      weightsHash: hash(f.weightsHash, "weights hash"),
      uri: str(f.uri),
      trainedOn: ((f.trainedOn as Fields[] | undefined) ?? []).map((r, i) => refFrom(r, `trainedOn[${i}]`)),
    }),
  },
  set_model_price: {
    field: "setModelPrice",
    toFields: (m) => ({ modelId: (m as SetModelPriceMsg).modelId, price: encodeAmount((m as SetModelPriceMsg).price) }),
    fromFields: (f) => ({
      type: "set_model_price",
      modelId: uint(f.modelId, "model id"),
      price: decodeAmount(f.price, "price"),
    }),
  },
  set_model_operators: {
    field: "setModelOperators",
    toFields: (m) => {
      const s = m as SetModelOperatorsMsg;
      return { modelId: s.modelId, add: s.add, remove: s.remove };
    },
    fromFields: (f) => ({
      type: "set_model_operators",
      modelId: uint(f.modelId, "model id"),
      add: addresses(f.add, "add"),
      remove: addresses(f.remove, "remove"),
    }),
  },
  retire_model: {
    field: "retireModel",
    toFields: (m) => ({ modelId: (m as RetireModelMsg).modelId }),
    fromFields: (f) => ({ type: "retire_model", modelId: uint(f.modelId, "model id") }),
  },
  pay_inference: {
    field: "payInference",
    toFields: (m) => {
      const p = m as PayInferenceMsg;
      return { modelId: p.modelId, requestHash: p.requestHash, maxPrice: encodeAmount(p.maxPrice) };
    },
    fromFields: (f) => ({
      type: "pay_inference",
      modelId: uint(f.modelId, "model id"),
      requestHash: hash(f.requestHash, "request hash"),
      maxPrice: decodeAmount(f.maxPrice, "max price"),
    }),
  },
  record_inference: {
    field: "recordInference",
    toFields: (m) => {
      const r = m as RecordInferenceMsg;
      return { inferenceId: r.inferenceId, outputHash: r.outputHash, weights: r.weights.map(weightFields) };
    },
    fromFields: (f) => ({
      type: "record_inference",
      inferenceId: uint(f.inferenceId, "inference id"),
      outputHash: hash(f.outputHash, "output hash"),
      weights: ((f.weights as Fields[] | undefined) ?? []).map((w, i) => weightFrom(w, `weights[${i}]`)),
    }),
  },
  claim_rewards: { field: "claimRewards", toFields: () => ({}), fromFields: () => ({ type: "claim_rewards" }) },
};

/** The module message set in a decoded TxBody's fields, if any. */
export function moduleMsgFrom(f: Fields): ModuleMsg | undefined {
  for (const codec of Object.values(MODULE_MSG_CODECS)) {
    const sub = f[codec.field] as Fields | undefined | null;
    if (sub !== undefined && sub !== null) return codec.fromFields(sub);
  }
  return undefined;
}

export function moduleMsgFields(m: ModuleMsg): Fields {
  const codec = MODULE_MSG_CODECS[m.type];
  return { [codec.field]: codec.toFields(m) };
}

import { encodeAddress } from "../../../crypto/address.ts";
import { equalBytes, toHex, utf8 } from "../../../crypto/bytes.ts";
import { sha256 } from "../../../crypto/hash.ts";
import type {
  DatanetVersionRef,
  ModuleMsg,
  PublishModelVersionMsg,
  RegisterModelMsg,
  RetireModelMsg,
  SetModelOperatorsMsg,
  SetModelPriceMsg,
} from "../../../proto/module-msgs.ts";
import { type Model, modelCodec, type ModelVersion, modelVersionCodec } from "../../../proto/module-records.ts";
import type { TxEvent } from "../../../proto/records.ts";
import { TxError } from "../../errors.ts";
import type { BlockContext } from "../../block-context.ts";
import { idKey, MODULE_PREFIX, PRESENT, stateKey } from "../../keys.ts";
import type { ChainParams, ModelParams } from "../../params.ts";
import type { Overlay, StateReader } from "../../view.ts";
import { checkAddressList, checkText, event, includesAddress, nextId } from "../common.ts";
import { getDatanetVersion } from "../datanets/datanets.ts";
import { modelKey } from "./keys.ts";

/**
 * Models: registered weights with a lineage. A model names the published datanet versions it was trained
 * on (so attribution can pay their contributors), an adapter also names its parent model (whose lineage it
 * inherits), and each new version of the weights adds to what the model owes to data, never removes.
 *
 * Lineage is bounded so that what every pay and record reads stays small: a model's trainedOn (the union over
 * its versions) holds at most params.models.maxTrainedOn refs, and adapters stack at most MAX_ADAPTER_DEPTH
 * deep, so a lineage is at most (MAX_ADAPTER_DEPTH + 1) * maxTrainedOn refs over as many model records.
 */

/** Most adapters between a model and the full model under it (an adapter of a full model is depth 1). */
export const MAX_ADAPTER_DEPTH = 4;

// ---- reads (also used by the attribution module) ----

export function getModel(view: StateReader, id: number): Model | undefined {
  const raw = view.get(modelKey(id));
  return raw === undefined ? undefined : modelCodec.decode(raw);
}

export function getModelVersion(view: StateReader, modelId: number, version: number): ModelVersion | undefined {
  const raw = view.get(modelVersionKey(modelId, version));
  return raw === undefined ? undefined : modelVersionCodec.decode(raw);
}

/**
 * Everything a model's outputs owe to data: its own trainedOn and, for an adapter, its ancestors' (an
 * adapter is only as useful as the model under it). Sorted by (datanet, version), each ref once.
 */
export function trainedOnOf(view: StateReader, model: Model): DatanetVersionRef[] {
  const refs: DatanetVersionRef[] = [];
  // A parent is always registered before its adapter, and at most MAX_ADAPTER_DEPTH deep, so the chain ends
  // within MAX_ADAPTER_DEPTH + 1 models; the set only guards corrupt state.
  const seen = new Set<number>();
  for (let m: Model | undefined = model; m !== undefined && !seen.has(m.id);) {
    seen.add(m.id);
    refs.push(...m.trainedOn);
    m = m.kind === "adapter" ? getModel(view, m.parentId) : undefined;
  }
  return sortedUniqueRefs(refs);
}

/** How many adapters deep a model is: 0 for a full model, its parent's depth + 1 for an adapter. */
export function adapterDepth(view: StateReader, model: Model): number {
  let depth = 0;
  // Bounded by MAX_ADAPTER_DEPTH on every registered model; the guard only stops a walk over corrupt state.
  for (let m: Model | undefined = model; m?.kind === "adapter" && depth <= MAX_ADAPTER_DEPTH;) {
    depth++;
    m = getModel(view, m.parentId);
  }
  return depth;
}

/** The owner always operates its model; the operators list adds others. */
export function isOperator(model: Model, address: Uint8Array): boolean {
  return equalBytes(model.owner, address) || includesAddress(model.operators, address);
}

export function compareRefs(a: DatanetVersionRef, b: DatanetVersionRef): number {
  return a.datanetId - b.datanetId || a.version - b.version;
}

/** Sorted by (datanet, version), each ref once. */
export function sortedUniqueRefs(refs: readonly DatanetVersionRef[]): DatanetVersionRef[] {
  const sorted = [...refs].sort(compareRefs);
  return sorted.filter((r, i) => i === 0 || compareRefs(r, sorted[i - 1]) !== 0);
}

function modelVersionKey(modelId: number, version: number): Uint8Array {
  return stateKey(MODULE_PREFIX.modelVersion, idKey(modelId), idKey(version));
}

function putModel(view: Overlay, m: Model): void {
  view.set(modelKey(m.id), modelCodec.encode(m));
}

// ---- stateless checks ----

export function check(msg: ModuleMsg, params: ChainParams): void {
  const p = params.models;
  switch (msg.type) {
    case "register_model":
      checkRegister(msg, p);
      return;
    case "publish_model_version":
      checkText(msg.uri, p.maxUriBytes, "model uri");
      checkRefs(msg.trainedOn, p);
      return;
    case "set_model_price":
      checkPrice(msg.price);
      return;
    case "set_model_operators":
      checkOperatorChange(msg, p);
      return;
    case "retire_model":
      return;
    default:
      throw new TxError("INVALID_MSG", `${msg.type} is not a models message`);
  }
}

function checkRegister(msg: RegisterModelMsg, p: ModelParams): void {
  checkText(msg.name, p.maxNameBytes, "model name", true);
  // A base model is a name too (e.g. "llama-3-8b"); no limit of its own.
  checkText(msg.baseModel, p.maxNameBytes, "base model");
  checkText(msg.uri, p.maxUriBytes, "model uri");
  checkRefs(msg.trainedOn, p);
  checkPrice(msg.price);
  if (msg.kind === "model" && msg.parentId !== 0) {
    throw new TxError("INVALID_MSG", `a full model has no parent, but parent ${msg.parentId} was given`);
  }
  if (msg.kind === "adapter" && msg.parentId === 0) {
    throw new TxError("INVALID_MSG", "an adapter needs a parent model");
  }
}

function checkRefs(refs: readonly DatanetVersionRef[], p: ModelParams): void {
  if (refs.length > p.maxTrainedOn) {
    throw new TxError("INVALID_MSG", `trainedOn has ${refs.length} entries; the limit is ${p.maxTrainedOn}`);
  }
  const sorted = [...refs].sort(compareRefs);
  for (let i = 1; i < sorted.length; i++) {
    if (compareRefs(sorted[i], sorted[i - 1]) === 0) {
      throw new TxError("INVALID_MSG", `trainedOn names datanet ${sorted[i].datanetId} version ${sorted[i].version} twice`);
    }
  }
}

function checkPrice(price: bigint): void {
  if (price < 0n) throw new TxError("INVALID_MSG", `price ${price} is negative`);
}

function checkOperatorChange(msg: SetModelOperatorsMsg, p: ModelParams): void {
  checkAddressList(msg.add, p.maxOperators, "operators to add");
  checkAddressList(msg.remove, p.maxOperators, "operators to remove");
  const both = msg.add.find((a) => includesAddress(msg.remove, a));
  if (both !== undefined) {
    throw new TxError("INVALID_MSG", `${encodeAddress(both)} is both added and removed`);
  }
}

export function spend(_msg: ModuleMsg): bigint {
  return 0n;
}

// ---- the state transition ----

export function apply(view: Overlay, sender: Uint8Array, msg: ModuleMsg, ctx: BlockContext): TxEvent[] {
  switch (msg.type) {
    case "register_model":
      return [registerModel(view, sender, msg, ctx)];
    case "publish_model_version":
      return [publishModelVersion(view, sender, msg, ctx)];
    case "set_model_price":
      return [setModelPrice(view, sender, msg, ctx)];
    case "set_model_operators":
      return [setModelOperators(view, sender, msg, ctx)];
    case "retire_model":
      return [retireModel(view, sender, msg, ctx)];
    default:
      throw new TxError("INVALID_MSG", `${msg.type} is not a models message`);
  }
}

export function endBlock(_view: Overlay, _ctx: BlockContext): TxEvent[] {
  return [];
}

function registerModel(view: Overlay, sender: Uint8Array, msg: RegisterModelMsg, ctx: BlockContext): TxEvent {
  requirePublishedVersions(view, msg.trainedOn);
  let baseModel = msg.baseModel;
  if (msg.kind === "adapter") {
    const parent = requireModel(view, msg.parentId);
    requireNotRetired(parent);
    // Every pay and record walks an adapter's ancestors for its lineage: the chain must stay short.
    const depth = adapterDepth(view, parent) + 1;
    if (depth > MAX_ADAPTER_DEPTH) {
      throw new TxError(
        "LIMIT_EXCEEDED",
        `model ${parent.id} is already ${depth - 1} adapters deep; adapters stack at most ${MAX_ADAPTER_DEPTH} deep`,
      );
    }
    // An adapter of an adapter still sits on the same base weights.
    if (baseModel === "") baseModel = parent.baseModel;
  }
  const id = nextId(view, MODULE_PREFIX.modelSeq);
  const trainedOn = sortedUniqueRefs(msg.trainedOn);
  putModel(view, {
    id,
    owner: sender,
    name: msg.name,
    kind: msg.kind,
    parentId: msg.parentId,
    baseModel,
    weightsHash: msg.weightsHash,
    uri: msg.uri,
    trainedOn,
    price: msg.price,
    operators: [],
    retired: false,
    version: 1,
    createdHeight: ctx.height,
    updatedHeight: ctx.height,
  });
  const first = { modelId: id, version: 1, weightsHash: msg.weightsHash, uri: msg.uri, trainedOn, height: ctx.height };
  putModelVersion(view, first);
  view.set(stateKey(MODULE_PREFIX.modelsByOwner, sender, idKey(id)), PRESENT);
  if (baseModel !== "") view.set(stateKey(MODULE_PREFIX.modelsByBase, sha256(utf8(baseModel)), idKey(id)), PRESENT);
  indexDatanets(view, id, trainedOn);
  return event("register_model", {
    id: String(id),
    owner: encodeAddress(sender),
    kind: msg.kind,
    parent: String(msg.parentId),
    base_model: baseModel,
    weights_hash: toHex(msg.weightsHash),
    price: msg.price.toString(),
  });
}

function publishModelVersion(
  view: Overlay,
  sender: Uint8Array,
  msg: PublishModelVersionMsg,
  ctx: BlockContext,
): TxEvent {
  const model = requireOwnedModel(view, msg.modelId, sender);
  requireNotRetired(model);
  requirePublishedVersions(view, msg.trainedOn);
  const version = model.version + 1;
  const trainedOn = sortedUniqueRefs(msg.trainedOn);
  // What the earlier weights were trained on still shaped these: lineage only grows, so it has a cap of its
  // own (the model record is read by every pay and record of an inference).
  const lineage = sortedUniqueRefs([...model.trainedOn, ...trainedOn]);
  const max = ctx.params.models.maxTrainedOn;
  if (lineage.length > max) {
    throw new TxError(
      "LIMIT_EXCEEDED",
      `model ${model.id} would be trained on ${lineage.length} datanet versions over its versions; the limit is ${max}`,
    );
  }
  putModel(view, {
    ...model,
    weightsHash: msg.weightsHash,
    uri: msg.uri,
    trainedOn: lineage,
    version,
    updatedHeight: ctx.height,
  });
  putModelVersion(view, {
    modelId: model.id,
    version,
    weightsHash: msg.weightsHash,
    uri: msg.uri,
    trainedOn,
    height: ctx.height,
  });
  indexDatanets(view, model.id, trainedOn);
  return event("publish_model_version", {
    id: String(model.id),
    version: String(version),
    weights_hash: toHex(msg.weightsHash),
  });
}

function setModelPrice(view: Overlay, sender: Uint8Array, msg: SetModelPriceMsg, ctx: BlockContext): TxEvent {
  const model = requireOwnedModel(view, msg.modelId, sender);
  requireNotRetired(model);
  putModel(view, { ...model, price: msg.price, updatedHeight: ctx.height });
  return event("set_model_price", { id: String(model.id), price: msg.price.toString() });
}

/**
 * Allowed on a retired model too: inferences paid before retirement may still be recorded, and the owner
 * may need to hand that to someone else.
 */
function setModelOperators(view: Overlay, sender: Uint8Array, msg: SetModelOperatorsMsg, ctx: BlockContext): TxEvent {
  const model = requireOwnedModel(view, msg.modelId, sender);
  for (const a of msg.remove) {
    if (equalBytes(a, model.owner)) {
      throw new TxError("INVALID_STATE", `${encodeAddress(a)} owns model ${model.id} and cannot stop operating it`);
    }
    if (!includesAddress(model.operators, a)) {
      throw new TxError("INVALID_STATE", `${encodeAddress(a)} is not an operator of model ${model.id}`);
    }
  }
  for (const a of msg.add) {
    if (equalBytes(a, model.owner)) {
      throw new TxError("INVALID_STATE", `${encodeAddress(a)} owns model ${model.id} and always operates it`);
    }
    if (includesAddress(model.operators, a)) {
      throw new TxError("INVALID_STATE", `${encodeAddress(a)} is already an operator of model ${model.id}`);
    }
  }
  const operators = [...model.operators.filter((a) => !includesAddress(msg.remove, a)), ...msg.add];
  const max = ctx.params.models.maxOperators;
  if (operators.length > max) {
    throw new TxError("LIMIT_EXCEEDED", `model ${model.id} would have ${operators.length} operators; the limit is ${max}`);
  }
  putModel(view, { ...model, operators, updatedHeight: ctx.height });
  return event("set_model_operators", {
    id: String(model.id),
    added: msg.add.map(encodeAddress).join(","),
    removed: msg.remove.map(encodeAddress).join(","),
  });
}

function retireModel(view: Overlay, sender: Uint8Array, msg: RetireModelMsg, ctx: BlockContext): TxEvent {
  const model = requireOwnedModel(view, msg.modelId, sender);
  requireNotRetired(model);
  putModel(view, { ...model, retired: true, updatedHeight: ctx.height });
  return event("retire_model", { id: String(model.id) });
}

function putModelVersion(view: Overlay, v: ModelVersion): void {
  view.set(modelVersionKey(v.modelId, v.version), modelVersionCodec.encode(v));
}

/** One modelsByDatanet entry per distinct datanet; entries already there are left alone (no rewrite). */
function indexDatanets(view: Overlay, modelId: number, refs: readonly DatanetVersionRef[]): void {
  for (const r of refs) {
    const key = stateKey(MODULE_PREFIX.modelsByDatanet, idKey(r.datanetId), idKey(modelId));
    if (view.get(key) === undefined) view.set(key, PRESENT);
  }
}

// ---- lookups that refuse ----

function requirePublishedVersions(view: StateReader, refs: readonly DatanetVersionRef[]): void {
  for (const r of refs) {
    if (getDatanetVersion(view, r.datanetId, r.version) === undefined) {
      throw new TxError("NOT_FOUND", `datanet ${r.datanetId} has no version ${r.version}`);
    }
  }
}

function requireModel(view: StateReader, id: number): Model {
  const m = getModel(view, id);
  if (m === undefined) throw new TxError("NOT_FOUND", `model ${id} does not exist`);
  return m;
}

function requireOwnedModel(view: StateReader, id: number, sender: Uint8Array): Model {
  const m = requireModel(view, id);
  if (!equalBytes(m.owner, sender)) {
    throw new TxError("UNAUTHORIZED", `${encodeAddress(sender)} is not the owner of model ${m.id}`);
  }
  return m;
}

function requireNotRetired(m: Model): void {
  if (m.retired) throw new TxError("INVALID_STATE", `model ${m.id} is retired`);
}

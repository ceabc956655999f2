import { encodeAddress } from "../../../crypto/address.ts";
import { readU64be } from "../../../crypto/bytes.ts";
import type {
  AttributionWeight,
  ClaimRewardsMsg,
  ModuleMsg,
  PayInferenceMsg,
  RecordInferenceMsg,
} from "../../../proto/module-msgs.ts";
import {
  type Contribution,
  type DatanetVersion,
  type Inference,
  inferenceCodec,
  type Model,
  type Rewards,
  rewardsCodec,
} from "../../../proto/module-records.ts";
import type { TxEvent } from "../../../proto/records.ts";
import { TxError } from "../../errors.ts";
import type { BlockContext } from "../../block-context.ts";
import { idKey, MODULE_PREFIX, PRESENT, SOURCE_KIND, type SourceKind, stateKey } from "../../keys.ts";
import { type AttributionParams, type ChainParams, PPM } from "../../params.ts";
import type { Overlay, StateReader } from "../../view.ts";
import { indexCreditedContributions, storePayouts } from "./payouts.ts";
import { type FeeSplit, splitFee } from "./split.ts";
import { checkRecipientCount, contributionOf, type ContributionsRead, resolveWeights, versionRecipients } from "./weights.ts";
import { getAccount, setAccount } from "../bank/bank.ts";
import { addAmount, creditTreasury, event, nextId, readAmount } from "../common.ts";
import { type SeqList, seqClear, seqPush, seqValues } from "../seq-list.ts";
import { getModel, isOperator } from "../models/models.ts";
import { earningsKey, inferenceKey, rewardsKey } from "./keys.ts";

export { splitFee } from "./split.ts";

/**
 * Paid inference and attribution. A payer escrows a model's price (pay_inference); an operator of the model
 * records the output and says which data it owes (record_inference); the fee is then split between the
 * treasury, the model owner and the contributors, as rewards they claim into their balance (claim_rewards).
 * An inference nobody records is refunded at the end of its expiry height. Every rule moves OPEN between
 * balances, att/escrow, att/accrued and the treasury; none creates or destroys any.
 */

const NO_WEIGHTS: AttributionWeight[] = [];
const EMPTY_REWARDS: Rewards = { accrued: 0n, claimed: 0n };

// ---- keys ----

/** Keys are exported for proofs (rpc/proof-keys.ts): a proof names the key the getter reads. */
/** Inferences expiring at the end of a height (one key per entry: a pay costs O(1)). */
const EXPIRY_QUEUE: SeqList = {
  entries: MODULE_PREFIX.inferenceExpiryQueue,
  counts: MODULE_PREFIX.inferenceExpiryCount,
};
const kindByte = (kind: SourceKind) => Uint8Array.of(SOURCE_KIND[kind]);
const rewardSourceKey = (address: Uint8Array, kind: SourceKind, id: number) =>
  stateKey(MODULE_PREFIX.rewardSource, address, kindByte(kind), idKey(id));

// ---- reads (also for the RPC) ----

export function getInference(view: StateReader, id: number): Inference | undefined {
  const raw = view.get(inferenceKey(id));
  return raw === undefined ? undefined : inferenceCodec.decode(raw);
}

export function getRewards(view: StateReader, address: Uint8Array): Rewards {
  const raw = view.get(rewardsKey(address));
  return raw === undefined ? EMPTY_REWARDS : rewardsCodec.decode(raw);
}

/** What a contribution, datanet or model has earned its beneficiaries, ever. */
export function getEarnings(view: StateReader, kind: SourceKind, id: number): bigint {
  return readAmount(view, earningsKey(kind, id));
}

/** What `address` has earned from one source (its model, or one of its contributions), ever. */
export function getRewardFromSource(view: StateReader, address: Uint8Array, kind: SourceKind, id: number): bigint {
  return readAmount(view, rewardSourceKey(address, kind, id));
}

function setInference(view: Overlay, inference: Inference): void {
  view.set(inferenceKey(inference.id), inferenceCodec.encode(inference));
}

// ---- the module interface (state/execute.ts) ----

export function check(msg: ModuleMsg, params: ChainParams): void {
  if (msg.type === "record_inference") checkWeights(msg.weights, params.attribution);
}

/** The payer may be charged up to its max price; nothing else spends from the sender's balance. */
export function spend(msg: ModuleMsg): bigint {
  return msg.type === "pay_inference" ? msg.maxPrice : 0n;
}

export function apply(view: Overlay, sender: Uint8Array, msg: ModuleMsg, ctx: BlockContext): TxEvent[] {
  switch (msg.type) {
    case "pay_inference":
      return payInference(view, sender, msg, ctx);
    case "record_inference":
      return recordInference(view, sender, msg, ctx);
    case "claim_rewards":
      return claimRewards(view, sender, msg);
    default:
      throw new TxError("INVALID_MSG", `the attribution module does not handle ${msg.type}`);
  }
}

/**
 * Refunds every inference still unrecorded at the end of its expiry height, and clears that height's queue.
 * O(entries): each entry was paid for by the pay_inference that queued it.
 */
export function endBlock(view: Overlay, ctx: BlockContext): TxEvent[] {
  const ids = seqValues(view, EXPIRY_QUEUE, idKey(ctx.height));
  if (ids.length === 0) return [];
  seqClear(view, EXPIRY_QUEUE, idKey(ctx.height));
  const events: TxEvent[] = [];
  for (const raw of ids) {
    const inference = getInference(view, readU64be(raw));
    if (inference?.status === "paid") events.push(expire(view, inference));
  }
  return events;
}

function expire(view: Overlay, inference: Inference): TxEvent {
  addAmount(view, MODULE_PREFIX.inferenceEscrow, -inference.price);
  const payer = getAccount(view, inference.payer);
  setAccount(view, inference.payer, { ...payer, balance: payer.balance + inference.price });
  setInference(view, { ...inference, status: "expired" });
  return event("inference_expired", {
    id: String(inference.id),
    payer: encodeAddress(inference.payer),
    refund: inference.price.toString(),
  });
}

// ---- pay_inference ----

function payInference(view: Overlay, payer: Uint8Array, msg: PayInferenceMsg, ctx: BlockContext): TxEvent[] {
  const model = getModel(view, msg.modelId);
  if (model === undefined) throw new TxError("NOT_FOUND", `model ${msg.modelId} does not exist`);
  if (model.retired) throw new TxError("INVALID_STATE", `model ${model.id} is retired`);
  if (model.price > msg.maxPrice) {
    throw new TxError(
      "INVALID_STATE",
      `model ${model.id}'s price is ${model.price}, above your max price ${msg.maxPrice}`,
    );
  }
  debit(view, payer, model.price, `model ${model.id}'s price`);
  addAmount(view, MODULE_PREFIX.inferenceEscrow, model.price);

  const id = nextId(view, MODULE_PREFIX.inferenceSeq);
  const expiresHeight = ctx.height + ctx.params.attribution.inferenceExpiryBlocks;
  setInference(view, {
    id,
    modelId: model.id,
    payer,
    requestHash: msg.requestHash,
    price: model.price,
    createdHeight: ctx.height,
    expiresHeight,
    status: "paid",
    operator: new Uint8Array(0),
    outputHash: new Uint8Array(0),
    weights: NO_WEIGHTS,
    recordedHeight: 0,
  });
  enqueueExpiry(view, expiresHeight, id);
  view.set(stateKey(MODULE_PREFIX.inferencesByModel, idKey(model.id), idKey(id)), PRESENT);
  view.set(stateKey(MODULE_PREFIX.inferencesByPayer, payer, idKey(id)), PRESENT);
  return [
    event("pay_inference", {
      id: String(id),
      model: String(model.id),
      payer: encodeAddress(payer),
      price: model.price.toString(),
    }),
  ];
}

function debit(view: Overlay, address: Uint8Array, amount: bigint, what: string): void {
  const account = getAccount(view, address);
  if (account.balance < amount) {
    throw new TxError(
      "INSUFFICIENT_FUNDS",
      `insufficient funds for ${what}: ${encodeAddress(address)} has ${account.balance}, needs ${amount}`,
    );
  }
  setAccount(view, address, { ...account, balance: account.balance - amount });
}

function enqueueExpiry(view: Overlay, height: number, id: number): void {
  seqPush(view, EXPIRY_QUEUE, idKey(height), idKey(id));
}

// ---- record_inference ----

/** Stateless weight checks: count, positive ppm, one target each, no target twice, sum within 100%. */
function checkWeights(weights: readonly AttributionWeight[], params: AttributionParams): void {
  if (weights.length > params.maxWeights) {
    throw new TxError("INVALID_MSG", `${weights.length} weights; at most ${params.maxWeights}`);
  }
  const targets = new Set<string>();
  let sum = 0;
  weights.forEach((w, i) => {
    if (w.ppm <= 0) throw new TxError("INVALID_MSG", `weights[${i}] has ${w.ppm} ppm; it must be positive`);
    const target = weightTarget(w, i);
    if (targets.has(target)) throw new TxError("INVALID_MSG", `weights[${i}] names ${target} a second time`);
    targets.add(target);
    sum += w.ppm;
  });
  if (sum > PPM) throw new TxError("INVALID_MSG", `weights sum to ${sum} ppm; at most ${PPM}`);
}

/** A readable name of what a weight pays; throws if it names neither or both kinds of target. */
function weightTarget(w: AttributionWeight, index: number): string {
  const isContribution = w.contributionId > 0 && w.datanetId === 0 && w.version === 0;
  const isVersion = w.contributionId === 0 && w.datanetId > 0 && w.version > 0;
  if (isContribution) return `contribution ${w.contributionId}`;
  if (isVersion) return `datanet ${w.datanetId} version ${w.version}`;
  throw new TxError(
    "INVALID_MSG",
    `weights[${index}] must name either a contribution id or a datanet id and version, not both or neither`,
  );
}

function recordInference(view: Overlay, sender: Uint8Array, msg: RecordInferenceMsg, ctx: BlockContext): TxEvent[] {
  const params = ctx.params.attribution;
  checkWeights(msg.weights, params); // the executor checks first; repeated so apply alone is never unsafe
  const inference = getInference(view, msg.inferenceId);
  if (inference === undefined) throw new TxError("NOT_FOUND", `inference ${msg.inferenceId} does not exist`);
  const model = getModel(view, inference.modelId);
  if (model === undefined) throw new TxError("NOT_FOUND", `model ${inference.modelId} does not exist`);
  if (!isOperator(model, sender)) {
    throw new TxError("UNAUTHORIZED", `${encodeAddress(sender)} is not an operator of model ${model.id}`);
  }
  checkRecordable(inference, ctx.height);

  const read: ContributionsRead = new Map();
  const splitWeights = resolveWeights(view, model, msg.weights, params, ctx, read);
  const split = splitFee(inference.price, params.protocolSharePpm, params.ownerSharePpm, splitWeights);
  payOut(view, model, split, read);
  addAmount(view, MODULE_PREFIX.inferenceEscrow, -inference.price);
  setInference(view, {
    ...inference,
    status: "recorded",
    operator: sender,
    outputHash: msg.outputHash,
    weights: msg.weights,
    recordedHeight: ctx.height,
  });
  // The trail (who got how much, at record time) and the by-contribution index, whole versions included.
  storePayouts(view, inference, model, split, read);
  indexCreditedContributions(view, inference.id, splitWeights);
  return [recordEvent(inference, model, sender, split)];
}

function checkRecordable(inference: Inference, height: number): void {
  if (inference.status === "recorded") {
    throw new TxError(
      "INVALID_STATE",
      `inference ${inference.id} was already recorded at height ${inference.recordedHeight}`,
    );
  }
  if (inference.status === "expired" || height > inference.expiresHeight) {
    throw new TxError(
      "EXPIRED",
      `inference ${inference.id} expired at the end of height ${inference.expiresHeight}; it was refunded`,
    );
  }
}

function recordEvent(inference: Inference, model: Model, operator: Uint8Array, split: FeeSplit): TxEvent {
  const contributors = split.parts.reduce((sum, p) => sum + p.amount, 0n);
  return event("record_inference", {
    id: String(inference.id),
    model: String(model.id),
    operator: encodeAddress(operator),
    price: inference.price.toString(),
    treasury: split.treasury.toString(),
    owner: split.owner.toString(),
    contributors: contributors.toString(),
    recipients: String(split.parts.length),
  });
}

// ---- rewards ----

/** Credits a split: the owner share to the model owner, each part to its contributor, the rest to the treasury. */
function payOut(view: Overlay, model: Model, split: FeeSplit, read: ReadonlyMap<number, Contribution>): void {
  creditTreasury(view, split.treasury);
  if (split.owner > 0n) {
    accrue(view, model.owner, "model", model.id, split.owner);
    addAmount(view, earningsKey("model", model.id), split.owner);
  }
  for (const part of split.parts) {
    const c = contributionOf(view, part.contributionId, read);
    accrue(view, c.contributor, "contribution", c.id, part.amount);
    addAmount(view, earningsKey("contribution", c.id), part.amount);
    addAmount(view, earningsKey("datanet", c.datanetId), part.amount);
  }
}

/** Adds to an address's claimable rewards, the total accrued, and what it has earned from the source. */
function accrue(view: Overlay, address: Uint8Array, kind: SourceKind, id: number, amount: bigint): void {
  const rewards = getRewards(view, address);
  view.set(rewardsKey(address), rewardsCodec.encode({ ...rewards, accrued: rewards.accrued + amount }));
  addAmount(view, MODULE_PREFIX.rewardsAccrued, amount);
  addAmount(view, rewardSourceKey(address, kind, id), amount);
}

// ---- treasury grants (governance) ----

/**
 * Shares `amount` equally among the unslashed contributions of a datanet version, credited as claimable
 * rewards from the source `treasury` (id: the proposal). Bounded like a record's whole-version weight:
 * at most maxVersionRecipients contributions are read. Returns what it credited (the division's dust is
 * not taken). Throws TxError if the version is too large or has no unslashed contribution.
 */
export function grantToVersion(
  view: Overlay,
  v: DatanetVersion,
  amount: bigint,
  proposalId: number,
  params: AttributionParams,
): bigint {
  checkRecipientCount([v], params);
  const read: ContributionsRead = new Map();
  const recipients = versionRecipients(view, v, read);
  if (recipients.length === 0) {
    throw new TxError("INVALID_STATE", `datanet ${v.datanetId} version ${v.version} has no unslashed contribution`);
  }
  const share = amount / BigInt(recipients.length);
  if (share === 0n) throw new TxError("INVALID_MSG", `${amount} shared among ${recipients.length} contributions is 0 each`);
  for (const id of recipients) {
    const c = contributionOf(view, id, read);
    accrue(view, c.contributor, "treasury", proposalId, share);
    addAmount(view, earningsKey("contribution", c.id), share);
    addAmount(view, earningsKey("datanet", c.datanetId), share);
  }
  return share * BigInt(recipients.length);
}

// ---- claim_rewards ----

function claimRewards(view: Overlay, sender: Uint8Array, _msg: ClaimRewardsMsg): TxEvent[] {
  const rewards = getRewards(view, sender);
  const amount = rewards.accrued;
  if (amount === 0n) throw new TxError("INVALID_STATE", `no rewards to claim for ${encodeAddress(sender)}`);
  view.set(rewardsKey(sender), rewardsCodec.encode({ accrued: 0n, claimed: rewards.claimed + amount }));
  addAmount(view, MODULE_PREFIX.rewardsAccrued, -amount);
  const account = getAccount(view, sender);
  setAccount(view, sender, { ...account, balance: account.balance + amount });
  return [event("claim_rewards", { address: encodeAddress(sender), amount: amount.toString() })];
}

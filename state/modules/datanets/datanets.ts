import { encodeAddress } from "../../../crypto/address.ts";
import { equalBytes, readU64be, toHex } from "../../../crypto/bytes.ts";
import { merkleFrontierAppend, merkleFrontierRoot } from "../../../crypto/merkle.ts";
import type {
  ContributeMsg,
  CreateDatanetMsg,
  DatanetSettings,
  ModuleMsg,
  PublishVersionMsg,
  ReviewContributionMsg,
  SlashContributionMsg,
  UpdateDatanetMsg,
} from "../../../proto/module-msgs.ts";
import {
  type Contribution,
  contributionCodec,
  type Datanet,
  datanetCodec,
  type DatanetFrontier,
  datanetFrontierCodec,
  type DatanetVersion,
  datanetVersionCodec,
} from "../../../proto/module-records.ts";
import type { TxEvent } from "../../../proto/records.ts";
import { TxError } from "../../errors.ts";
import type { BlockContext } from "../../block-context.ts";
import { idKey, MODULE_PREFIX, PRESENT, stateKey } from "../../keys.ts";
import type { ChainParams, DatanetParams } from "../../params.ts";
import type { Overlay, StateReader } from "../../view.ts";
import { getAccount, setAccount } from "../bank/bank.ts";
import {
  addAmount,
  checkAddressList,
  checkText,
  creditTreasury,
  event,
  includesAddress,
  nextId,
  utf8Length,
} from "../common.ts";
import { contributionKey, datanetKey, datanetVersionKey } from "./keys.ts";

/**
 * Datanets: curated, versioned data sets. Anyone (or, with an allow list, the listed) contributes an item
 * by locking the datanet's contribution stake; a curator accepts it (stake back) or rejects it (stake back
 * minus the review fee, which pays the reviewer). Accepted items are numbered in acceptance order, and a
 * published version is the Merkle root over the first `count` of them: immutable, so attribution can name
 * a version and prove an item belongs to it. The tree's frontier is kept up to date at each acceptance
 * (dn/frontier/), so no rule's cost grows with the number of accepted items.
 */

// ---- reads (also used by the attribution module) ----

export function getDatanet(view: StateReader, id: number): Datanet | undefined {
  const raw = view.get(datanetKey(id));
  return raw === undefined ? undefined : datanetCodec.decode(raw);
}

export function getContribution(view: StateReader, id: number): Contribution | undefined {
  const raw = view.get(contributionKey(id));
  return raw === undefined ? undefined : contributionCodec.decode(raw);
}

export function getDatanetVersion(view: StateReader, datanetId: number, version: number): DatanetVersion | undefined {
  const raw = view.get(datanetVersionKey(datanetId, version));
  return raw === undefined ? undefined : datanetVersionCodec.decode(raw);
}

/** The id of the contribution accepted at position `acceptIndex` of a datanet's acceptance order. */
export function acceptedContributionId(view: StateReader, datanetId: number, acceptIndex: number): number | undefined {
  const raw = view.get(acceptedKey(datanetId, acceptIndex));
  return raw === undefined ? undefined : readU64be(raw);
}

/**
 * Whether a contribution is one of a version's leaves. A slashed contribution was accepted first, and
 * published versions are immutable, so it stays in the versions that already counted it.
 */
export function contributionInVersion(c: Contribution, v: DatanetVersion): boolean {
  const wasAccepted = c.status === "accepted" || c.status === "slashed";
  return c.datanetId === v.datanetId && wasAccepted && c.acceptIndex < v.count;
}

/**
 * The Merkle frontier over a datanet's accepted content hashes, in acceptance order. It is written with every
 * acceptance, so a frontier that does not cover exactly `acceptedCount` items is corrupt state, not a tx error.
 */
export function getDatanetFrontier(view: StateReader, datanet: Datanet): DatanetFrontier {
  const raw = view.get(frontierKey(datanet.id));
  const frontier = raw === undefined ? { count: 0, nodes: [] } : datanetFrontierCodec.decode(raw);
  if (frontier.count !== datanet.acceptedCount) {
    throw new Error(
      `datanet ${datanet.id}'s Merkle frontier covers ${frontier.count} items; it has ${datanet.acceptedCount} accepted`,
    );
  }
  return frontier;
}

function frontierKey(datanetId: number): Uint8Array {
  return stateKey(MODULE_PREFIX.datanetFrontier, idKey(datanetId));
}

function acceptedKey(datanetId: number, acceptIndex: number): Uint8Array {
  return stateKey(MODULE_PREFIX.acceptedContribution, idKey(datanetId), idKey(acceptIndex));
}

function putDatanet(view: Overlay, d: Datanet): void {
  view.set(datanetKey(d.id), datanetCodec.encode(d));
}

function putContribution(view: Overlay, c: Contribution): void {
  view.set(contributionKey(c.id), contributionCodec.encode(c));
}

// ---- stateless checks ----

export function check(msg: ModuleMsg, params: ChainParams): void {
  const p = params.datanets;
  switch (msg.type) {
    case "create_datanet":
      checkText(msg.name, p.maxNameBytes, "datanet name", true);
      checkSettings(msg, p);
      return;
    case "update_datanet":
      checkSettings(msg, p);
      return;
    case "contribute":
      checkContribute(msg, p);
      return;
    case "slash_contribution":
      // No limit of its own: the description's bounds the reason, which only goes into the event.
      checkText(msg.reason, p.maxDescriptionBytes, "slash reason");
      return;
    case "review_contribution":
    case "publish_version":
      return;
    default:
      throw new TxError("INVALID_MSG", `${msg.type} is not a datanets message`);
  }
}

function checkSettings(s: DatanetSettings, p: DatanetParams): void {
  checkText(s.description, p.maxDescriptionBytes, "datanet description");
  checkText(s.license, p.maxLicenseBytes, "datanet license");
  checkAddressList(s.curators, p.maxCurators, "curators");
  checkAddressList(s.contributors, p.maxContributors, "contributors");
  if (s.reviewFee > s.contributionStake) {
    throw new TxError(
      "INVALID_MSG",
      `review fee ${s.reviewFee} is more than the contribution stake ${s.contributionStake}; a rejection pays the fee out of the stake`,
    );
  }
}

function checkContribute(msg: ContributeMsg, p: DatanetParams): void {
  checkText(msg.uri, p.maxUriBytes, "contribution uri", true);
  const n = utf8Length(msg.metadata);
  if (n > p.maxMetadataBytes) {
    throw new TxError("INVALID_MSG", `contribution metadata is ${n} bytes; the limit is ${p.maxMetadataBytes}`);
  }
  if (msg.metadata.length > 0 && !isJson(msg.metadata)) {
    throw new TxError("INVALID_MSG", "contribution metadata is not valid JSON");
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The stake a contribution locks depends on the datanet's settings at execution, so nothing is known here. */
export function spend(_msg: ModuleMsg): bigint {
  return 0n;
}

// ---- the state transition ----

export function apply(view: Overlay, sender: Uint8Array, msg: ModuleMsg, ctx: BlockContext): TxEvent[] {
  switch (msg.type) {
    case "create_datanet":
      return [createDatanet(view, sender, msg, ctx)];
    case "update_datanet":
      return [updateDatanet(view, sender, msg)];
    case "contribute":
      return [contribute(view, sender, msg, ctx)];
    case "review_contribution":
      return [reviewContribution(view, sender, msg, ctx)];
    case "slash_contribution":
      return [slashContribution(view, sender, msg)];
    case "publish_version":
      return [publishVersion(view, sender, msg, ctx)];
    default:
      throw new TxError("INVALID_MSG", `${msg.type} is not a datanets message`);
  }
}

export function endBlock(_view: Overlay, _ctx: BlockContext): TxEvent[] {
  return [];
}

function createDatanet(view: Overlay, sender: Uint8Array, msg: CreateDatanetMsg, ctx: BlockContext): TxEvent {
  const id = nextId(view, MODULE_PREFIX.datanetSeq);
  putDatanet(view, {
    id,
    owner: sender,
    name: msg.name,
    ...settingsOf(msg),
    createdHeight: ctx.height,
    acceptedCount: 0,
    versionCount: 0,
    contributionCount: 0,
  });
  return event("create_datanet", { id: String(id), owner: encodeAddress(sender), name: msg.name });
}

function settingsOf(s: DatanetSettings): DatanetSettings {
  return {
    description: s.description,
    license: s.license,
    curators: s.curators,
    contributionStake: s.contributionStake,
    reviewFee: s.reviewFee,
    allowListed: s.allowListed,
    contributors: s.contributors,
  };
}

/** Replaces every setting. Pending contributions keep the stake they locked (it is on their record). */
function updateDatanet(view: Overlay, sender: Uint8Array, msg: UpdateDatanetMsg): TxEvent {
  const datanet = requireDatanet(view, msg.datanetId);
  if (!equalBytes(datanet.owner, sender)) {
    throw new TxError("UNAUTHORIZED", `${encodeAddress(sender)} is not the owner of datanet ${datanet.id}`);
  }
  putDatanet(view, { ...datanet, ...settingsOf(msg) });
  return event("update_datanet", { id: String(datanet.id) });
}

function contribute(view: Overlay, sender: Uint8Array, msg: ContributeMsg, ctx: BlockContext): TxEvent {
  const datanet = requireDatanet(view, msg.datanetId);
  if (datanet.allowListed && !includesAddress(datanet.contributors, sender)) {
    throw new TxError("UNAUTHORIZED", `${encodeAddress(sender)} is not on datanet ${datanet.id}'s allow list`);
  }
  const stake = datanet.contributionStake;
  lockStake(view, sender, stake, datanet.id);
  const id = nextId(view, MODULE_PREFIX.contributionSeq);
  putContribution(view, {
    id,
    datanetId: datanet.id,
    contributor: sender,
    contentHash: msg.contentHash,
    uri: msg.uri,
    sizeBytes: msg.sizeBytes,
    metadata: msg.metadata,
    stake,
    status: "pending",
    acceptIndex: 0,
    createdHeight: ctx.height,
    reviewedHeight: 0,
    reviewer: new Uint8Array(0),
    staked: stake,
    slashedAmount: 0n,
  });
  view.set(stateKey(MODULE_PREFIX.contributionsByDatanet, idKey(datanet.id), idKey(id)), PRESENT);
  view.set(stateKey(MODULE_PREFIX.contributionsByContributor, sender, idKey(id)), PRESENT);
  putDatanet(view, { ...datanet, contributionCount: datanet.contributionCount + 1 });
  return event("contribute", {
    id: String(id),
    datanet: String(datanet.id),
    contributor: encodeAddress(sender),
    content_hash: toHex(msg.contentHash),
    stake: stake.toString(),
  });
}

/** Moves a contribution's stake from the contributor's balance into the datanets escrow. */
function lockStake(view: Overlay, from: Uint8Array, stake: bigint, datanetId: number): void {
  const account = getAccount(view, from);
  if (account.balance < stake) {
    throw new TxError(
      "INSUFFICIENT_FUNDS",
      `${encodeAddress(from)} has ${account.balance}; contributing to datanet ${datanetId} locks a stake of ${stake}`,
    );
  }
  setAccount(view, from, { ...account, balance: account.balance - stake });
  addAmount(view, MODULE_PREFIX.datanetEscrow, stake);
}

/** Pays `amount` out of the datanets escrow to a balance. */
function releaseStake(view: Overlay, to: Uint8Array, amount: bigint): void {
  if (amount === 0n) return;
  addAmount(view, MODULE_PREFIX.datanetEscrow, -amount);
  const account = getAccount(view, to);
  setAccount(view, to, { ...account, balance: account.balance + amount });
}

function reviewContribution(
  view: Overlay,
  sender: Uint8Array,
  msg: ReviewContributionMsg,
  ctx: BlockContext,
): TxEvent {
  const c = requireContribution(view, msg.contributionId);
  const datanet = requireDatanet(view, c.datanetId);
  requireCurator(datanet, sender);
  if (c.status !== "pending") {
    throw new TxError("INVALID_STATE", `contribution ${c.id} was already reviewed (${c.status})`);
  }
  // The fee is the datanet's at review time, but never more than what this contribution locked (the
  // settings may have changed since it was made).
  const fee = msg.accept ? 0n : minAmount(datanet.reviewFee, c.stake);
  releaseStake(view, c.contributor, c.stake - fee);
  releaseStake(view, sender, fee);
  const reviewed: Contribution = { ...c, stake: 0n, reviewer: sender, reviewedHeight: ctx.height };
  if (msg.accept) {
    const acceptIndex = datanet.acceptedCount;
    view.set(acceptedKey(datanet.id, acceptIndex), idKey(c.id));
    // O(log n) hashes now, so that publishing a version never rereads the accepted items (O(n) each time).
    const frontier = getDatanetFrontier(view, datanet);
    const nodes = merkleFrontierAppend(frontier.nodes, frontier.count, c.contentHash);
    view.set(frontierKey(datanet.id), datanetFrontierCodec.encode({ count: acceptIndex + 1, nodes }));
    putContribution(view, { ...reviewed, status: "accepted", acceptIndex });
    putDatanet(view, { ...datanet, acceptedCount: acceptIndex + 1 });
  } else {
    putContribution(view, { ...reviewed, status: "rejected" });
  }
  return event("review_contribution", {
    id: String(c.id),
    datanet: String(datanet.id),
    reviewer: encodeAddress(sender),
    status: msg.accept ? "accepted" : "rejected",
    refund: (c.stake - fee).toString(),
    fee: fee.toString(),
  });
}

/**
 * Marks an accepted contribution as harmful: it stops earning (the attribution module gives no weight to a
 * slashed contribution) and its stake goes to the treasury. The stake went back to the contributor at
 * acceptance (keeping it locked past review would tie up contributors' funds indefinitely), so the slash
 * charges the same amount again, from the contributor's balance, as much of it as there is. The versions
 * already published still contain the contribution (they are immutable roots).
 */
function slashContribution(view: Overlay, sender: Uint8Array, msg: SlashContributionMsg): TxEvent {
  const c = requireContribution(view, msg.contributionId);
  const datanet = requireDatanet(view, c.datanetId);
  requireCurator(datanet, sender);
  if (c.status !== "accepted") {
    throw new TxError("INVALID_STATE", `contribution ${c.id} is ${c.status}; only an accepted contribution can be slashed`);
  }
  const account = getAccount(view, c.contributor);
  const taken = minAmount(c.staked, account.balance);
  setAccount(view, c.contributor, { ...account, balance: account.balance - taken });
  creditTreasury(view, taken);
  putContribution(view, { ...c, status: "slashed", slashedAmount: taken });
  return event("slash_contribution", {
    id: String(c.id),
    datanet: String(datanet.id),
    slasher: encodeAddress(sender),
    reason: msg.reason,
    contributor: encodeAddress(c.contributor),
    amount: taken.toString(),
  });
}

function publishVersion(view: Overlay, sender: Uint8Array, msg: PublishVersionMsg, ctx: BlockContext): TxEvent {
  const datanet = requireDatanet(view, msg.datanetId);
  requireCurator(datanet, sender);
  const previous = datanet.versionCount === 0 ? undefined : getDatanetVersion(view, datanet.id, datanet.versionCount);
  const previousCount = previous?.count ?? 0;
  if (datanet.acceptedCount <= previousCount) {
    throw new TxError(
      "INVALID_STATE",
      `datanet ${datanet.id} has nothing new to publish: version ${datanet.versionCount} already holds all ${previousCount} accepted contributions`,
    );
  }
  const count = datanet.acceptedCount;
  const frontier = getDatanetFrontier(view, datanet);
  const version: DatanetVersion = {
    datanetId: datanet.id,
    version: datanet.versionCount + 1,
    // Equal to merkleRootOfHashes over the first `count` accepted content hashes, in O(log count) hashes.
    root: merkleFrontierRoot(frontier.nodes, frontier.count),
    count,
    height: ctx.height,
  };
  view.set(datanetVersionKey(datanet.id, version.version), datanetVersionCodec.encode(version));
  putDatanet(view, { ...datanet, versionCount: version.version });
  return event("publish_version", {
    datanet: String(datanet.id),
    version: String(version.version),
    root: toHex(version.root),
    count: String(count),
  });
}

// ---- lookups that refuse ----

function requireDatanet(view: StateReader, id: number): Datanet {
  const d = getDatanet(view, id);
  if (d === undefined) throw new TxError("NOT_FOUND", `datanet ${id} does not exist`);
  return d;
}

function requireContribution(view: StateReader, id: number): Contribution {
  const c = getContribution(view, id);
  if (c === undefined) throw new TxError("NOT_FOUND", `contribution ${id} does not exist`);
  return c;
}

/** Curating (review, slash, publish) is for the curators and the owner. */
function requireCurator(datanet: Datanet, sender: Uint8Array): void {
  if (equalBytes(datanet.owner, sender) || includesAddress(datanet.curators, sender)) return;
  throw new TxError("UNAUTHORIZED", `${encodeAddress(sender)} is not a curator of datanet ${datanet.id}`);
}

function minAmount(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

import { readU64be } from "../../../crypto/bytes.ts";
import { type GovVote, govVoteCodec, type Proposal, proposalCodec } from "../../../proto/gov-records.ts";
import { idListCodec } from "../../../proto/module-records.ts";
import { idKey, MODULE_PREFIX } from "../../keys.ts";
import type { StateReader } from "../../view.ts";
import { readAmount } from "../common.ts";
import { seqCount, seqKey } from "../seq-list.ts";
import { depositKey, proposalKey, upgradeDoneKey, voteKey, VOTERS } from "./keys.ts";

/** What RPC and the other modules may read of governance. */

export function getProposal(view: StateReader, id: number): Proposal | undefined {
  const raw = view.get(proposalKey(id));
  return raw === undefined ? undefined : proposalCodec.decode(raw);
}

/** Ids of the proposals in their deposit or voting period, in submission order. */
export function getActiveProposalIds(view: StateReader): number[] {
  const raw = view.get(MODULE_PREFIX.govActive);
  return raw === undefined ? [] : idListCodec.decode(raw);
}

export function getVote(view: StateReader, id: number, voter: Uint8Array): GovVote | undefined {
  const raw = view.get(voteKey(id, voter));
  return raw === undefined ? undefined : govVoteCodec.decode(raw);
}

export function getDeposit(view: StateReader, id: number, depositor: Uint8Array): bigint {
  return readAmount(view, depositKey(id, depositor));
}

/** How many distinct addresses voted on a proposal. */
export function voterCount(view: StateReader, id: number): number {
  return seqCount(view, VOTERS, idKey(id));
}

/** The index-th voter of a proposal (0-based, in the order of first votes). */
export function voterAt(view: StateReader, id: number, index: number): Uint8Array | undefined {
  return view.get(seqKey(VOTERS, idKey(id), index));
}

/** Deposits held by active proposals. */
export function getGovEscrow(view: StateReader): bigint {
  return readAmount(view, MODULE_PREFIX.govEscrow);
}

/** A passed software upgrade the chain waits for: its name, the height it applies at, the proposal that passed it. */
export interface UpgradePlan {
  name: string;
  height: number;
  proposalId: number;
}

/**
 * The pending upgrade plan, or undefined. One at a time: a later passed upgrade replaces it (as Cosmos's
 * x/upgrade does); it is cleared at its height, when its handler runs or the operator skips it.
 */
export function getUpgradePlan(view: StateReader): UpgradePlan | undefined {
  const raw = view.get(MODULE_PREFIX.govUpgrade);
  if (raw === undefined) return undefined;
  const proposalId = readU64be(raw);
  const p = getProposal(view, proposalId);
  // Written only by the execution of a passed upgrade proposal: anything else is corrupt state.
  if (p?.content.kind !== "upgrade") throw new Error(`gov/upgrade names proposal ${proposalId}, not an upgrade proposal`);
  return { name: p.content.name, height: p.content.height, proposalId };
}

/** The height the handler of upgrade `name` ran at, or undefined if it never did. */
export function getUpgradeDoneHeight(view: StateReader, name: string): number | undefined {
  const raw = view.get(upgradeDoneKey(name));
  return raw === undefined ? undefined : readU64be(raw);
}

import { encodeAddress } from "../../../crypto/address.ts";
import type { DepositMsg, GovMsg, ProposalContent, SubmitProposalMsg, VoteMsg } from "../../../proto/gov-msgs.ts";
import { EMPTY_TALLY, type Proposal, proposalCodec } from "../../../proto/gov-records.ts";
import { idListCodec } from "../../../proto/module-records.ts";
import type { TxEvent } from "../../../proto/records.ts";
import type { BlockContext } from "../../block-context.ts";
import { TxError } from "../../errors.ts";
import { idKey, MODULE_PREFIX } from "../../keys.ts";
import type { ChainParams, GovParams } from "../../params.ts";
import { ParamsError, withParamChanges } from "../../params-check.ts";
import type { Overlay, StateReader } from "../../view.ts";
import { getAccount, setAccount } from "../bank/bank.ts";
import { addAmount, checkText, event, includesAddress, nextId, readAmount } from "../common.ts";
import { seqCount, seqPush } from "../seq-list.ts";
import { getShares, getValidator } from "../staking/staking.ts";
import { DEPOSITORS, depositKey, proposalKey, votedSharesKey, VOTERS } from "./keys.ts";
import { getActiveProposalIds, getProposal, getUpgradeDoneHeight, getVote } from "./queries.ts";
import { setVote } from "./votes.ts";

/**
 * Governance: proposals with deposits, stake-weighted votes, and (state/modules/gov/end-block.ts) the
 * tally and execution at the end of the voting period. Deposits are held in gov/escrow while a proposal
 * is active (state/supply.ts counts them), so no OPEN is created or destroyed here.
 */

export const MAX_TITLE_BYTES = 140;
export const MAX_DESCRIPTION_BYTES = 4096;
/** Most parameters one proposal changes. */
export const MAX_PARAM_CHANGES = 16;
export const MAX_PARAM_KEY_BYTES = 64;
/** Most validators one vote names (one delegation read each, in the vote and in the tally). */
export const MAX_VOTE_VALIDATORS = 16;
/** Most distinct depositors of one proposal (each is refunded at its end: bounded work). */
export const MAX_DEPOSITORS = 64;
const UPGRADE_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

// ---- stateless checks ----

export function check(msg: GovMsg, params: ChainParams): void {
  switch (msg.type) {
    case "submit_proposal":
      checkText(msg.title, MAX_TITLE_BYTES, "title", true);
      checkText(msg.description, MAX_DESCRIPTION_BYTES, "description");
      checkContent(msg.content, params);
      return;
    case "deposit":
      if (msg.amount <= 0n) throw new TxError("INVALID_MSG", "deposit amount must be positive");
      return;
    case "vote": {
      if (msg.validators.length > MAX_VOTE_VALIDATORS)
        throw new TxError("LIMIT_EXCEEDED", `a vote names at most ${MAX_VOTE_VALIDATORS} validators`);
      for (const [i, v] of msg.validators.entries()) {
        if (includesAddress(msg.validators.slice(0, i), v))
          throw new TxError("INVALID_MSG", `validator ${encodeAddress(v)} is named twice`);
      }
      return;
    }
  }
}

function checkContent(c: ProposalContent, params: ChainParams): void {
  switch (c.kind) {
    case "text":
      return;
    case "params": {
      if (c.changes.length > MAX_PARAM_CHANGES)
        throw new TxError("LIMIT_EXCEEDED", `a proposal changes at most ${MAX_PARAM_CHANGES} parameters`);
      const keys = new Set<string>();
      for (const { key } of c.changes) {
        if (Buffer.byteLength(key) > MAX_PARAM_KEY_BYTES || keys.has(key))
          throw new TxError("INVALID_MSG", `parameter ${JSON.stringify(key.slice(0, 80))} is too long or named twice`);
        keys.add(key);
      }
      // Validated as genesis validates params: an unknown parameter or a value out of bounds is refused now.
      paramsAfter(params, c.changes, "INVALID_MSG");
      return;
    }
    case "spend":
    case "spend_datanet":
      if (c.amount <= 0n) throw new TxError("INVALID_MSG", "a treasury spend's amount must be positive");
      if (c.kind === "spend_datanet" && (c.datanetId === 0 || c.version === 0))
        throw new TxError("INVALID_MSG", "a spend to a datanet version names the datanet and the version");
      return;
    case "upgrade":
      if (!UPGRADE_NAME_RE.test(c.name))
        throw new TxError("INVALID_MSG", "an upgrade name is 1-64 of a-z 0-9 . _ - (starting with a letter or digit)");
      if (c.height === 0) throw new TxError("INVALID_MSG", "an upgrade needs a height");
      return;
  }
}

/** `params` after `changes`, or a TxError with ParamsError's message (the field and the rule broken). */
export function paramsAfter(
  params: ChainParams,
  changes: readonly { key: string; value: string }[],
  code: "INVALID_MSG" | "INVALID_STATE",
): ChainParams {
  try {
    return withParamChanges(params, changes);
  } catch (err) {
    if (err instanceof ParamsError) throw new TxError(code, `parameter change refused: ${err.message}`);
    throw err;
  }
}

/** An upgrade name is applied once: a proposal naming one already done is refused (submitted) or fails (executed). */
export function refuseDoneUpgrade(view: StateReader, name: string, code: "INVALID_MSG" | "INVALID_STATE"): void {
  const done = getUpgradeDoneHeight(view, name);
  if (done !== undefined) throw new TxError(code, `upgrade ${name} was already applied at height ${done}`);
}

/** What the sender's balance gives: a deposit. */
export function spend(msg: GovMsg): bigint {
  if (msg.type === "submit_proposal") return msg.deposit;
  if (msg.type === "deposit") return msg.amount;
  return 0n;
}

// ---- transitions ----

export function apply(view: Overlay, sender: Uint8Array, msg: GovMsg, ctx: BlockContext): TxEvent[] {
  switch (msg.type) {
    case "submit_proposal":
      return submit(view, sender, msg, ctx);
    case "deposit":
      return deposit(view, sender, msg, ctx);
    case "vote":
      return vote(view, sender, msg);
  }
}

export function setProposal(view: Overlay, p: Proposal): void {
  view.set(proposalKey(p.id), proposalCodec.encode(p));
}

export function setActiveProposalIds(view: Overlay, ids: readonly number[]): void {
  if (ids.length === 0) {
    if (view.get(MODULE_PREFIX.govActive) !== undefined) view.delete(MODULE_PREFIX.govActive);
  } else view.set(MODULE_PREFIX.govActive, idListCodec.encode([...ids]));
}

function submit(view: Overlay, sender: Uint8Array, msg: SubmitProposalMsg, ctx: BlockContext): TxEvent[] {
  const gov = ctx.params.gov;
  const active = getActiveProposalIds(view);
  if (active.length >= gov.maxActiveProposals) {
    throw new TxError("LIMIT_EXCEEDED", `${active.length} proposals are active; at most ${gov.maxActiveProposals} may be`);
  }
  if (msg.content.kind === "upgrade" && msg.content.height <= ctx.height)
    throw new TxError("INVALID_MSG", `upgrade height ${msg.content.height} is not after this block ${ctx.height}`);
  if (msg.content.kind === "upgrade") refuseDoneUpgrade(view, msg.content.name, "INVALID_MSG");
  const c = msg.content;
  if (c.kind === "spend" || c.kind === "spend_datanet") {
    // Checked again at execution (the treasury may change meanwhile); a spend it cannot cover now is refused.
    const held = readAmount(view, MODULE_PREFIX.treasury);
    if (c.amount > held)
      throw new TxError("INSUFFICIENT_FUNDS", `the treasury holds ${held}, less than the ${c.amount} to spend`);
  }
  const id = nextId(view, MODULE_PREFIX.govSeq);
  let p: Proposal = {
    id,
    proposer: sender,
    title: msg.title,
    description: msg.description,
    initialDeposit: msg.deposit,
    content: msg.content,
    status: "deposit_period",
    submitHeight: ctx.height,
    depositEnd: ctx.height + gov.depositPeriodBlocks,
    votingEnd: 0,
    totalDeposit: 0n,
    tally: EMPTY_TALLY,
    failure: "",
  };
  if (msg.deposit > 0n) p = takeDeposit(view, sender, p, msg.deposit);
  const events = [
    event("submit_proposal", {
      proposal: String(id),
      proposer: encodeAddress(sender),
      kind: msg.content.kind,
      deposit: msg.deposit.toString(),
    }),
  ];
  if (p.totalDeposit >= gov.minDeposit) {
    p = startVoting(view, p, ctx.height, gov, active);
    events.push(votingStarted(p));
  }
  setProposal(view, p);
  setActiveProposalIds(view, [...active, id]);
  return events;
}

function deposit(view: Overlay, sender: Uint8Array, msg: DepositMsg, ctx: BlockContext): TxEvent[] {
  const found = getProposal(view, msg.proposalId);
  if (found === undefined) throw new TxError("NOT_FOUND", `proposal ${msg.proposalId} does not exist`);
  if (found.status !== "deposit_period") {
    throw new TxError(
      "INVALID_STATE",
      `proposal ${found.id} is ${found.status.replaceAll("_", " ")}: deposits are taken only in its deposit period`,
    );
  }
  let p = takeDeposit(view, sender, found, msg.amount);
  const events = [
    event("deposit", { proposal: String(p.id), depositor: encodeAddress(sender), amount: msg.amount.toString() }),
  ];
  if (p.totalDeposit >= ctx.params.gov.minDeposit) {
    p = startVoting(view, p, ctx.height, ctx.params.gov, getActiveProposalIds(view));
    events.push(votingStarted(p));
  }
  setProposal(view, p);
  return events;
}

/** Moves a deposit from the sender's balance into the escrow; returns the proposal with its new total. */
function takeDeposit(view: Overlay, sender: Uint8Array, p: Proposal, amount: bigint): Proposal {
  const key = depositKey(p.id, sender);
  const before = readAmount(view, key);
  if (before === 0n && seqCount(view, DEPOSITORS, idKey(p.id)) >= MAX_DEPOSITORS)
    throw new TxError("LIMIT_EXCEEDED", `proposal ${p.id} has ${MAX_DEPOSITORS} depositors, the most it may have`);
  const account = getAccount(view, sender);
  if (account.balance < amount) {
    throw new TxError(
      "INSUFFICIENT_FUNDS",
      `insufficient funds: ${encodeAddress(sender)} has ${account.balance}, deposits ${amount}`,
    );
  }
  setAccount(view, sender, { ...account, balance: account.balance - amount });
  if (before === 0n) seqPush(view, DEPOSITORS, idKey(p.id), sender);
  addAmount(view, key, amount);
  addAmount(view, MODULE_PREFIX.govEscrow, amount);
  return { ...p, totalDeposit: p.totalDeposit + amount };
}

/**
 * The vote lasts votingPeriodBlocks from `height`; its last block is moved on past any other active
 * proposal's, so at most one tally runs at the end of any block (a block's work stays bounded).
 */
function startVoting(
  view: StateReader,
  p: Proposal,
  height: number,
  gov: GovParams,
  active: readonly number[],
): Proposal {
  const taken = new Set<number>();
  for (const id of active) {
    const other = id === p.id ? undefined : getProposal(view, id);
    if (other?.status === "voting_period") taken.add(other.votingEnd);
  }
  let votingEnd = height + gov.votingPeriodBlocks;
  while (taken.has(votingEnd)) votingEnd++;
  return { ...p, status: "voting_period", votingEnd };
}

function votingStarted(p: Proposal): TxEvent {
  return event("proposal_voting", { proposal: String(p.id), voting_end: String(p.votingEnd) });
}

function vote(view: Overlay, sender: Uint8Array, msg: VoteMsg): TxEvent[] {
  const p = getProposal(view, msg.proposalId);
  if (p === undefined) throw new TxError("NOT_FOUND", `proposal ${msg.proposalId} does not exist`);
  if (p.status !== "voting_period") {
    throw new TxError("INVALID_STATE", `proposal ${p.id} is not in its voting period (it is ${p.status.replaceAll("_", " ")})`);
  }
  const own = getValidator(view, sender);
  const shares = msg.validators.map((operator) => {
    const s = getShares(view, sender, operator);
    if (s === 0n) {
      throw new TxError(
        "INSUFFICIENT_STAKE",
        `${encodeAddress(sender)} has no stake with validator ${encodeAddress(operator)}`,
      );
    }
    return s;
  });
  if ((own === undefined || own.tokens === 0n) && msg.validators.length === 0) {
    throw new TxError(
      "INSUFFICIENT_STAKE",
      `${encodeAddress(sender)} has no stake to vote with: a vote is a validator's, or names the validators the sender staked with`,
    );
  }
  // The running sums the tally reads (tally.ts): the previous vote's shares out, this one's in.
  const previous = getVote(view, p.id, sender);
  if (previous === undefined) seqPush(view, VOTERS, idKey(p.id), sender);
  else {
    previous.validators.forEach((operator, i) =>
      addAmount(view, votedSharesKey(p.id, operator, previous.option), -previous.shares[i]),
    );
  }
  msg.validators.forEach((operator, i) => addAmount(view, votedSharesKey(p.id, operator, msg.option), shares[i]));
  setVote(view, p.id, sender, { option: msg.option, validators: msg.validators, shares });
  return [event("vote", { proposal: String(p.id), voter: encodeAddress(sender), option: msg.option })];
}

import { u64be } from "../../../crypto/bytes.ts";
import type { Proposal } from "../../../proto/gov-records.ts";
import type { TxEvent } from "../../../proto/records.ts";
import type { BlockContext } from "../../block-context.ts";
import { TxError } from "../../errors.ts";
import { idKey, MODULE_PREFIX } from "../../keys.ts";
import { Overlay } from "../../view.ts";
import { grantToVersion } from "../attribution/attribution.ts";
import { getAccount, setAccount } from "../bank/bank.ts";
import { addAmount, creditTreasury, debitTreasury, event, readAmount } from "../common.ts";
import { getDatanetVersion } from "../datanets/datanets.ts";
import { seqValues } from "../seq-list.ts";
import { getPool } from "../staking/staking.ts";
import { paramsAfter, refuseDoneUpgrade, setActiveProposalIds, setProposal } from "./gov.ts";
import { DEPOSITORS, depositKey } from "./keys.ts";
import { writeParams } from "./params-store.ts";
import { getActiveProposalIds, getProposal } from "./queries.ts";
import { clearVotedShares, computeTally, tallyOutcome } from "./tally.ts";

/**
 * The end of every block: a proposal whose deposit period ends without the minimum deposit is dropped (its
 * deposits refunded); a proposal whose vote ends in this block is tallied by the bonds as they are now,
 * and executed if it passed. One read when no proposal is active; at most maxActiveProposals records
 * otherwise, and at most one tally (voting ends are spread one per block, see gov.ts startVoting).
 */
export function endBlock(view: Overlay, ctx: BlockContext): TxEvent[] {
  const active = getActiveProposalIds(view);
  if (active.length === 0) return [];
  const events: TxEvent[] = [];
  const still: number[] = [];
  for (const id of active) {
    const p = getProposal(view, id);
    if (p === undefined) throw new Error(`active proposal ${id} has no record`); // corrupt state
    if (p.status === "deposit_period" && ctx.height >= p.depositEnd) {
      returnDeposits(view, p, "refund");
      setProposal(view, { ...p, status: "dropped" });
      events.push(event("proposal_dropped", { proposal: String(id), deposit: p.totalDeposit.toString() }));
    } else if (p.status === "voting_period" && ctx.height >= p.votingEnd) {
      events.push(...finishVote(view, p, ctx));
    } else still.push(id);
  }
  if (still.length !== active.length) setActiveProposalIds(view, still);
  return events;
}

function finishVote(view: Overlay, p: Proposal, ctx: BlockContext): TxEvent[] {
  const tally = computeTally(view, p.id);
  clearVotedShares(view, p.id);
  const outcome = tallyOutcome(tally, getPool(view).bonded, ctx.params.gov);
  let done: Proposal = { ...p, tally, status: outcome };
  if (outcome === "passed") {
    const failure = executeProposal(view, p, ctx);
    if (failure !== undefined) done = { ...done, status: "failed", failure };
  }
  // Deposits back when the stake decided (passed, failed or rejected); to the treasury when vetoed or too few voted.
  const toTreasury = outcome === "vetoed" || outcome === "no_quorum";
  returnDeposits(view, p, toTreasury ? "treasury" : "refund");
  setProposal(view, done);
  return [
    event("proposal_tallied", {
      proposal: String(p.id),
      status: done.status,
      yes: tally.yes.toString(),
      abstain: tally.abstain.toString(),
      no: tally.no.toString(),
      no_with_veto: tally.noWithVeto.toString(),
      ...(done.failure === "" ? {} : { failure: done.failure }),
    }),
  ];
}

/**
 * Runs a passed proposal on a view of its own: either all it changes is kept, or (it throws TxError: a
 * value no longer valid, a treasury too small...) nothing is and the reason is returned.
 */
function executeProposal(view: Overlay, p: Proposal, ctx: BlockContext): string | undefined {
  const scratch = new Overlay(view);
  try {
    runContent(scratch, p, ctx);
  } catch (err) {
    if (err instanceof TxError) return err.message;
    throw err; // a bug: halt the block
  }
  for (const w of scratch.sortedWrites()) {
    if (w.value === undefined) view.delete(w.key);
    else view.set(w.key, w.value);
  }
  return undefined;
}

function runContent(view: Overlay, p: Proposal, ctx: BlockContext): void {
  const c = p.content;
  switch (c.kind) {
    case "text":
      return;
    case "params":
      // Checked again: other changes may have executed since it was submitted. Applies from the next block.
      writeParams(view, paramsAfter(ctx.params, c.changes, "INVALID_STATE"));
      return;
    case "spend": {
      debitTreasury(view, c.amount);
      const account = getAccount(view, c.to);
      setAccount(view, c.to, { ...account, balance: account.balance + c.amount });
      return;
    }
    case "spend_datanet": {
      const held = readAmount(view, MODULE_PREFIX.treasury);
      if (held < c.amount)
        throw new TxError("INSUFFICIENT_FUNDS", `the treasury holds ${held}, less than the ${c.amount} to spend`);
      const v = getDatanetVersion(view, c.datanetId, c.version);
      if (v === undefined) throw new TxError("NOT_FOUND", `datanet ${c.datanetId} version ${c.version} does not exist`);
      // The division's dust stays in the treasury.
      debitTreasury(view, grantToVersion(view, v, c.amount, p.id, ctx.params.attribution));
      return;
    }
    case "upgrade":
      if (c.height <= ctx.height) throw new TxError("INVALID_STATE", `upgrade height ${c.height} has passed`);
      refuseDoneUpgrade(view, c.name, "INVALID_STATE");
      // One plan at a time: a later passed upgrade replaces the pending one (as Cosmos's x/upgrade does).
      view.set(MODULE_PREFIX.govUpgrade, u64be(p.id));
      return;
  }
}

/** Every deposit of `p` leaves the escrow: back to its depositor, or to the treasury. */
function returnDeposits(view: Overlay, p: Proposal, to: "refund" | "treasury"): void {
  for (const depositor of seqValues(view, DEPOSITORS, idKey(p.id))) {
    const amount = readAmount(view, depositKey(p.id, depositor));
    if (amount === 0n) continue;
    addAmount(view, MODULE_PREFIX.govEscrow, -amount);
    if (to === "treasury") creditTreasury(view, amount);
    else {
      const account = getAccount(view, depositor);
      setAccount(view, depositor, { ...account, balance: account.balance + amount });
    }
  }
}

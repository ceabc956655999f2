import { equalBytes, toHex } from "../crypto/bytes.ts";
import type { TxEvent, TxResult } from "../proto/records.ts";
import type { DecodedTx, TxMsg } from "../proto/tx.ts";
import { TX_ERRORS, TxError } from "./errors.ts";
import type { BlockContext } from "./block-context.ts";
import { AmountText } from "./amount-text.ts";
import { type AccountRef, accountRef, addressText, readAccount, writeAccount } from "./modules/bank/bank.ts";
import { upgradeBeginBlock } from "./modules/gov/upgrade.ts";
import { MODULES, moduleOf } from "./modules/registry.ts";
import type { ChainParams } from "./params.ts";
import { Overlay, type StateReader, type StateWrite } from "./view.ts";

/**
 * Transaction execution: a pure function of (state view, transaction, block context). No clock, no disk,
 * no signature checks (signatures are verified once, before execution, by whoever holds the bytes; see
 * node/tx-verifier.ts). Everything that decides a state root goes through here. Messages are routed to the
 * module that owns them (state/modules/registry.ts); modules keep the NativeModule contract (state/module.ts).
 */

export type { BlockContext, BlockEvidence } from "./block-context.ts";

/** Checks that need no state: chain id, fee floor, message shape. Throws TxError. */
export function checkTxStateless(tx: DecodedTx, chainId: string, params: ChainParams): void {
  if (tx.bytes.byteLength > params.maxTxBytes) {
    throw new TxError(
      "TX_TOO_LARGE",
      `transaction is ${tx.bytes.byteLength} bytes; the limit is ${params.maxTxBytes}`,
    );
  }
  if (tx.body.chainId !== chainId) {
    throw new TxError(
      "WRONG_CHAIN_ID",
      `transaction is for chain "${tx.body.chainId}", this is "${chainId}"`,
    );
  }
  if (tx.body.fee < params.minFee) {
    throw new TxError("FEE_TOO_LOW", `fee ${tx.body.fee} is below the minimum fee ${params.minFee}`);
  }
  checkMsg(tx.body.msg, params);
}

function checkMsg(msg: TxMsg, params: ChainParams): void {
  moduleOf(msg).check(msg, params);
}

/** What a message would spend from the sender's balance, besides the fee (for mempool coverage checks). */
export function msgSpend(msg: TxMsg): bigint {
  return moduleOf(msg).spend(msg);
}

/** The last fee recipient's ref: the same account is paid by every tx of a block, and across blocks. */
let lastFeeRef: AccountRef | undefined;

/** accountRef(recipient), without even an id string when it is the last block's or tx's recipient. */
function feeRecipientRef(recipient: Uint8Array): AccountRef {
  if (lastFeeRef === undefined || !equalBytes(lastFeeRef.address, recipient)) lastFeeRef = accountRef(recipient);
  return lastFeeRef;
}

/** The fee events' amount texts (the fee is the same in nearly every tx). */
const feeTexts = new AmountText();

/**
 * The ante step: nonce and fee. If it throws, the transaction cannot be in a block at all; if it passes,
 * the fee is paid and the nonce used whether or not the message then succeeds.
 */
function applyAnte(view: Overlay, tx: DecodedTx, ctx: BlockContext, senderRef: AccountRef): TxEvent {
  const account = readAccount(view, senderRef);
  if (tx.body.nonce !== account.nonce) {
    const code = tx.body.nonce < account.nonce ? "NONCE_TOO_LOW" : "NONCE_TOO_HIGH";
    throw new TxError(code, `nonce ${account.nonce} expected, got ${tx.body.nonce}`, {
      expected: account.nonce,
      got: tx.body.nonce,
    });
  }
  if (account.balance < tx.body.fee) {
    throw new TxError(
      "INSUFFICIENT_FUNDS",
      `insufficient funds for the fee: ${addressText(senderRef)} has ${account.balance}, fee is ${tx.body.fee}`,
    );
  }
  writeAccount(view, senderRef, { nonce: account.nonce + 1, balance: account.balance - tx.body.fee });
  const recipientRef = feeRecipientRef(ctx.feeRecipient ?? ctx.proposer);
  const proposer = readAccount(view, recipientRef);
  writeAccount(view, recipientRef, { nonce: proposer.nonce, balance: proposer.balance + tx.body.fee });
  return {
    type: "fee",
    attributes: [
      { key: "payer", value: addressText(senderRef) },
      { key: "amount", value: feeTexts.of(tx.body.fee) },
      { key: "recipient", value: addressText(recipientRef) },
    ],
  };
}

function applyMsg(view: Overlay, tx: DecodedTx, ctx: BlockContext, senderRef: AccountRef): TxEvent[] {
  return moduleOf(tx.body.msg).apply(view, tx.sender, tx.body.msg, ctx, senderRef);
}

/**
 * Runs before a block's transactions: a software upgrade due at this height first (its migration, skip or
 * halt), whatever the module order, so every other hook and every tx sees the migrated state (as Cosmos's
 * x/upgrade BeginBlocker); then each module's hook in registry order (staking: liveness counting and the
 * slashing of committed evidence). Returns the events, which the node logs (they are not part of any
 * transaction's result).
 */
export function beginBlock(view: Overlay, ctx: BlockContext): TxEvent[] {
  const upgrade = upgradeBeginBlock(view, ctx);
  return [...upgrade, ...MODULES.flatMap((m) => ("beginBlock" in m ? m.beginBlock(view, ctx) : []))];
}

/**
 * Runs after a block's transactions, each module's hook in registry order: paid inferences that expire,
 * unbonding that completes, and the validator set for height + 2.
 */
export function endBlock(view: Overlay, ctx: BlockContext): TxEvent[] {
  return MODULES.flatMap((m) => ("endBlock" in m ? m.endBlock(view, ctx) : []));
}

/**
 * Executes one transaction on `view`. Throws TxError if the transaction is not includable (ante failed);
 * otherwise returns its result, with the message's writes applied only if it succeeded.
 */
export function executeTx(view: Overlay, tx: DecodedTx, ctx: BlockContext): TxResult {
  checkTxStateless(tx, ctx.chainId, ctx.params);
  const senderRef = accountRef(tx.sender);
  const feeEvent = applyAnte(view, tx, ctx, senderRef);
  const creditsBefore = ctx.work?.credits ?? 0;
  if (ctx.work !== undefined) ctx.work.txFee = tx.body.fee; // a record's credits are paid by it (takeBlockCredits)
  view.begin();
  try {
    const events = applyMsg(view, tx, ctx, senderRef);
    view.commit();
    return { code: 0, log: "", events: [feeEvent, ...events] };
  } catch (err) {
    view.rollback();
    // A failed message uses none of the block's budgets (else failing records could exhaust them for free).
    if (ctx.work !== undefined) ctx.work.credits = creditsBefore;
    if (!(err instanceof TxError)) throw err; // a bug, not a tx failure: let it halt the block
    return { code: TX_ERRORS[err.code], log: err.message, events: [feeEvent] };
  }
}

export interface BlockExecution<R = TxResult> {
  writes: StateWrite[];
  /** Each tx's result, as `keep` kept it (by default the result itself). */
  results: R[];
  /** What beginBlock and endBlock did (slashing, jailing, unbonding, expiry, set changes). */
  blockEvents: TxEvent[];
}

/** A block's execution, or the first tx that makes it invalid. */
export type BlockOutcome<R> = { ok: true; execution: BlockExecution<R> } | { ok: false; rejected: RejectedTx };

export interface RejectedTx {
  index: number;
  hash: string;
  error: TxError;
}

/**
 * Executes a block's transactions in order. A transaction whose ante step fails makes the block invalid;
 * the caller decides what that means (a proposer drops the tx, a validator rejects the block). `keep` turns
 * each result, as it is made, into what the execution holds of it (a node keeps its bytes: node/block-results.ts).
 */
export function executeBlock(base: StateReader, txs: readonly DecodedTx[], ctx: BlockContext): BlockOutcome<TxResult>;
export function executeBlock<R>(
  base: StateReader,
  txs: readonly DecodedTx[],
  ctx: BlockContext,
  keep: (tx: DecodedTx, result: TxResult) => R,
): BlockOutcome<R>;
export function executeBlock<R>(
  base: StateReader,
  txs: readonly DecodedTx[],
  ctx: BlockContext,
  keep?: (tx: DecodedTx, result: TxResult) => R,
): BlockOutcome<R | TxResult> {
  const view = new Overlay(base);
  const results: (R | TxResult)[] = [];
  const blockEvents = beginBlock(view, ctx);
  for (let i = 0; i < txs.length; i++) {
    try {
      const result = executeTx(view, txs[i], ctx);
      results.push(keep === undefined ? result : keep(txs[i], result));
    } catch (err) {
      if (err instanceof TxError)
        return { ok: false, rejected: { index: i, hash: toHex(txs[i].hash), error: err } };
      throw err;
    }
  }
  blockEvents.push(...endBlock(view, ctx));
  return { ok: true, execution: { writes: view.sortedWrites(), results, blockEvents } };
}

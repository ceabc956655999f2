import { encodeAddress } from "../crypto/address.ts";
import { toHex } from "../crypto/bytes.ts";
import type { TxEvent, TxResult } from "../proto/records.ts";
import type { DecodedTx, TxMsg } from "../proto/tx.ts";
import { TX_ERRORS, TxError } from "./errors.ts";
import { getAccount, setAccount, transfer } from "./modules/bank.ts";
import type { ChainParams } from "./params.ts";
import { Overlay, type StateReader, type StateWrite } from "./view.ts";

/**
 * Transaction execution: a pure function of (state view, transaction, block context). No clock, no disk,
 * no signature checks (signatures are verified once, before execution, by whoever holds the bytes; see
 * node/tx-verifier.ts). Everything that decides a state root goes through here.
 */

export interface BlockContext {
  chainId: string;
  height: number;
  timeMs: number;
  proposer: Uint8Array;
  params: ChainParams;
}

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
  checkMsg(tx.body.msg);
}

function checkMsg(msg: TxMsg): void {
  switch (msg.type) {
    case "transfer":
      if (msg.amount <= 0n) throw new TxError("INVALID_MSG", "transfer amount must be positive");
      return;
  }
}

/** What a message would spend from the sender's balance, besides the fee (for mempool coverage checks). */
export function msgSpend(msg: TxMsg): bigint {
  switch (msg.type) {
    case "transfer":
      return msg.amount;
  }
}

/**
 * The ante step: nonce and fee. If it throws, the transaction cannot be in a block at all; if it passes,
 * the fee is paid and the nonce used whether or not the message then succeeds.
 */
function applyAnte(view: Overlay, tx: DecodedTx, ctx: BlockContext): TxEvent {
  const account = getAccount(view, tx.sender);
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
      `insufficient funds for the fee: ${encodeAddress(tx.sender)} has ${account.balance}, fee is ${tx.body.fee}`,
    );
  }
  setAccount(view, tx.sender, { nonce: account.nonce + 1, balance: account.balance - tx.body.fee });
  const proposer = getAccount(view, ctx.proposer);
  setAccount(view, ctx.proposer, { ...proposer, balance: proposer.balance + tx.body.fee });
  return {
    type: "fee",
    attributes: [
      { key: "payer", value: encodeAddress(tx.sender) },
      { key: "amount", value: tx.body.fee.toString() },
      { key: "recipient", value: encodeAddress(ctx.proposer) },
    ],
  };
}

function applyMsg(view: Overlay, tx: DecodedTx): TxEvent[] {
  const msg = tx.body.msg;
  switch (msg.type) {
    case "transfer":
      transfer(view, tx.sender, msg.to, msg.amount);
      return [
        {
          type: "transfer",
          attributes: [
            { key: "sender", value: encodeAddress(tx.sender) },
            { key: "recipient", value: encodeAddress(msg.to) },
            { key: "amount", value: msg.amount.toString() },
          ],
        },
      ];
  }
}

/**
 * Executes one transaction on `view`. Throws TxError if the transaction is not includable (ante failed);
 * otherwise returns its result, with the message's writes applied only if it succeeded.
 */
export function executeTx(view: Overlay, tx: DecodedTx, ctx: BlockContext): TxResult {
  checkTxStateless(tx, ctx.chainId, ctx.params);
  const feeEvent = applyAnte(view, tx, ctx);
  view.begin();
  try {
    const events = applyMsg(view, tx);
    view.commit();
    return { code: 0, log: "", events: [feeEvent, ...events] };
  } catch (err) {
    view.rollback();
    if (!(err instanceof TxError)) throw err; // a bug, not a tx failure: let it halt the block
    return { code: TX_ERRORS[err.code], log: err.message, events: [feeEvent] };
  }
}

export interface BlockExecution {
  writes: StateWrite[];
  results: TxResult[];
}

export interface RejectedTx {
  index: number;
  hash: string;
  error: TxError;
}

/**
 * Executes a block's transactions in order. A transaction whose ante step fails makes the block invalid;
 * the caller decides what that means (a proposer drops the tx, a validator rejects the block).
 */
export function executeBlock(
  base: StateReader,
  txs: readonly DecodedTx[],
  ctx: BlockContext,
): { ok: true; execution: BlockExecution } | { ok: false; rejected: RejectedTx } {
  const view = new Overlay(base);
  const results: TxResult[] = [];
  for (let i = 0; i < txs.length; i++) {
    try {
      results.push(executeTx(view, txs[i], ctx));
    } catch (err) {
      if (err instanceof TxError)
        return { ok: false, rejected: { index: i, hash: toHex(txs[i].hash), error: err } };
      throw err;
    }
  }
  return { ok: true, execution: { writes: view.sortedWrites(), results } };
}

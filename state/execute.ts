import { encodeAddress } from "../crypto/address.ts";
import { toHex } from "../crypto/bytes.ts";
import type { TxEvent, TxResult } from "../proto/records.ts";
import type { DecodedTx, TxMsg } from "../proto/tx.ts";
import { TX_ERRORS, TxError } from "./errors.ts";
import { type AccountRef, accountRef, readAccount, transfer, writeAccount } from "./modules/bank.ts";
import * as attribution from "./modules/attribution.ts";
import * as datanets from "./modules/datanets.ts";
import * as models from "./modules/models.ts";
import * as staking from "./modules/staking.ts";
import type { ModuleMsg } from "../proto/module-msgs.ts";
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
  /**
   * Who the block's fees go to: the proposer's operator account (the key that controls the validator), or
   * the proposer's own address when it has none. The caller resolves it once per block.
   */
  feeRecipient?: Uint8Array;
  params: ChainParams;
  /**
   * The validators of the previous height (by consensus address) and whether each signed this block's
   * last commit: the staking module's liveness count. Empty at height 1.
   */
  lastCommitVotes: readonly { address: Uint8Array; signed: boolean }[];
  /** Equivocations this block carries, already verified by the caller (signatures, age, validator). */
  evidence: readonly BlockEvidence[];
  /**
   * Work done so far in this block by messages whose cost varies (reward credits of records), counted
   * against per-block budgets. One object per block execution; absent where no budget applies (tests).
   */
  work?: { credits: number };
}

export interface BlockEvidence {
  /** sha256 of the evidence's canonical encoding: no evidence counts twice. */
  hash: Uint8Array;
  /** The consensus address of the validator that signed twice, and the height it did so at. */
  validator: Uint8Array;
  height: number;
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
  checkMsg(tx.body.msg, params);
}

function checkMsg(msg: TxMsg, params: ChainParams): void {
  if (msg.type === "transfer") {
    if (msg.amount <= 0n) throw new TxError("INVALID_MSG", "transfer amount must be positive");
    return;
  }
  MODULES[moduleOf(msg)].check(msg, params);
}

/** What a message would spend from the sender's balance, besides the fee (for mempool coverage checks). */
export function msgSpend(msg: TxMsg): bigint {
  if (msg.type === "transfer") return msg.amount;
  return MODULES[moduleOf(msg)].spend(msg);
}

/** What every native module offers the executor for its messages (state/modules/<module>.ts). */
interface MsgModule {
  /** Stateless checks (sizes, ranges): a failing message is refused at admission. Throws TxError. */
  check(msg: ModuleMsg, params: ChainParams): void;
  /** What the message spends from the sender's balance at most, besides the fee. */
  spend(msg: ModuleMsg): bigint;
  /** The state transition; throws TxError (its writes are rolled back). Returns the events. */
  apply(view: Overlay, sender: Uint8Array, msg: ModuleMsg, ctx: BlockContext): TxEvent[];
}

const MODULES: Record<"staking" | "datanets" | "models" | "attribution", MsgModule> = {
  staking: staking as unknown as MsgModule,
  datanets: datanets as unknown as MsgModule,
  models: models as unknown as MsgModule,
  attribution: attribution as unknown as MsgModule,
};

function moduleOf(msg: ModuleMsg): keyof typeof MODULES {
  switch (msg.type) {
    case "create_validator":
    case "stake":
    case "unstake":
    case "unjail":
      return "staking";
    case "create_datanet":
    case "update_datanet":
    case "contribute":
    case "review_contribution":
    case "slash_contribution":
    case "publish_version":
      return "datanets";
    case "register_model":
    case "publish_model_version":
    case "set_model_price":
    case "set_model_operators":
    case "retire_model":
      return "models";
    case "pay_inference":
    case "record_inference":
    case "claim_rewards":
      return "attribution";
  }
}

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
      `insufficient funds for the fee: ${encodeAddress(tx.sender)} has ${account.balance}, fee is ${tx.body.fee}`,
    );
  }
  writeAccount(view, senderRef, { nonce: account.nonce + 1, balance: account.balance - tx.body.fee });
  const recipient = ctx.feeRecipient ?? ctx.proposer;
  const recipientRef = accountRef(recipient);
  const proposer = readAccount(view, recipientRef);
  writeAccount(view, recipientRef, { nonce: proposer.nonce, balance: proposer.balance + tx.body.fee });
  return {
    type: "fee",
    attributes: [
      { key: "payer", value: encodeAddress(tx.sender) },
      { key: "amount", value: tx.body.fee.toString() },
      { key: "recipient", value: encodeAddress(recipient) },
    ],
  };
}

function applyMsg(view: Overlay, tx: DecodedTx, ctx: BlockContext, senderRef: AccountRef): TxEvent[] {
  const msg = tx.body.msg;
  if (msg.type === "transfer") {
    transfer(view, tx.sender, msg.to, msg.amount, senderRef);
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
  return MODULES[moduleOf(msg)].apply(view, tx.sender, msg, ctx);
}

/**
 * Runs before a block's transactions: liveness counting and the slashing of committed evidence (staking).
 * Returns the events, which the node logs (they are not part of any transaction's result).
 */
export function beginBlock(view: Overlay, ctx: BlockContext): TxEvent[] {
  return staking.beginBlock(view, ctx);
}

/**
 * Runs after a block's transactions: unbonding that completes, paid inferences that expire, and the
 * validator set for height + 2.
 */
export function endBlock(view: Overlay, ctx: BlockContext): TxEvent[] {
  return [...attribution.endBlock(view, ctx), ...staking.endBlock(view, ctx)];
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
  view.begin();
  try {
    const events = applyMsg(view, tx, ctx, senderRef);
    checkCreditFee(tx, ctx, (ctx.work?.credits ?? 0) - creditsBefore);
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

/**
 * A message that made reward credits (a record) pays for them: at least params.attribution.feePerCredit per
 * credit. The fee is otherwise flat, and a block's credit budget must not be cheap to buy up.
 */
function checkCreditFee(tx: DecodedTx, ctx: BlockContext, credits: number): void {
  if (credits <= 0) return;
  const needed = ctx.params.attribution.feePerCredit * BigInt(credits);
  if (tx.body.fee < needed) {
    throw new TxError(
      "FEE_TOO_LOW",
      `this record makes ${credits} reward credits, which need a fee of at least ${needed}; the fee is ${tx.body.fee}`,
      { needed: needed.toString() },
    );
  }
}

export interface BlockExecution {
  writes: StateWrite[];
  results: TxResult[];
  /** What beginBlock and endBlock did (slashing, jailing, unbonding, expiry, set changes). */
  blockEvents: TxEvent[];
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
  const blockEvents = beginBlock(view, ctx);
  for (let i = 0; i < txs.length; i++) {
    try {
      results.push(executeTx(view, txs[i], ctx));
    } catch (err) {
      if (err instanceof TxError)
        return { ok: false, rejected: { index: i, hash: toHex(txs[i].hash), error: err } };
      throw err;
    }
  }
  blockEvents.push(...endBlock(view, ctx));
  return { ok: true, execution: { writes: view.sortedWrites(), results, blockEvents } };
}

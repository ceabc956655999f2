import { toHex } from "../crypto/bytes.ts";
import { CodecError } from "../proto/codec.ts";
import { type DecodedTx, decodeTx } from "../proto/tx.ts";
import { TX_ERRORS, TxError, txErrorName } from "../state/errors.ts";
import type { BlockContext } from "../state/block-context.ts";
import { checkTxStateless, executeTx } from "../state/execute.ts";
import { getAccount } from "../state/modules/bank/bank.ts";
import { Overlay, type RecordCodec, type StateReader } from "../state/view.ts";
import type { RpcContext } from "./context.ts";
import type { RequestScope } from "./request-scope.ts";
import { resultView } from "./views.ts";

/**
 * tx_simulate: what a signed transaction would do if the next block ran it on the latest committed state.
 * It gets tx_submit's admission checks, the mempool's own (Mempool.refusalOf: size, decoding, chain id, fee
 * floor, message shape, nonce against the sender's pending run, balance against amount + fee + what its
 * pending txs spend, room), and the signature; a refusal answers includable: false with its reason. Then
 * the sender's pending txs before it run, and it runs, on a throwaway overlay: nothing is written, no fee is
 * charged, nothing enters the mempool. Each key of state it reads is charged to the request's work budget
 * (rpc.max_request_work), as a query's reads are.
 */

export interface SimulationResult {
  hash: string;
  /** The height the simulation stood in for (latest + 1). */
  height: number;
  /** False when the tx could not be in a block at all (its nonce or its fee failed): then no events. */
  includable: boolean;
  /** 0 on success, else the TxError number (state/errors.ts), as in a block's result. */
  code: number;
  /** "OK" or the code's stable name (INSUFFICIENT_FUNDS, NOT_FOUND, ...). */
  reason: string;
  log: string;
  events: { type: string; attributes: Record<string, string> }[];
}

export async function simulateTx(bytes: Uint8Array, ctx: RpcContext): Promise<SimulationResult> {
  const tx = decodeChecked(bytes, ctx);
  ctx.request.charge(1); // admission reads the sender's account
  let refusal: TxError | undefined;
  try {
    refusal = await ctx.mempool.refusalOf(tx);
  } catch (err) {
    if (!(err instanceof TxError)) throw err;
    refusal = err; // a stateless check under the params in force: the answer says so, as before
  }
  if (refusal === undefined) {
    // The signature after the state's checks, as admission checks it (a sender who could not pay is refused
    // unchecked), by the node's verify workers within its admission queue (MEMPOOL_FULL past it).
    const signed = await ctx.mempool.checkSignatureToSimulate(tx);
    if (!signed) throw new TxError("BAD_SIGNATURE", "signature does not match the transaction body and sender public key");
  }
  ctx.request.check();
  const block = ctx.app.nextBlockContext(Date.now());
  const view = new Overlay(new ChargedReader(ctx.state, ctx.request));
  const hash = toHex(tx.hash);
  try {
    if (refusal !== undefined) throw refusal;
    // Its sender's pending run goes first, as the next block would take it (their results are not shown).
    const accountNonce = getAccount(view, tx.sender).nonce;
    for (const pending of ctx.mempool.pendingRunBefore(tx.sender, accountNonce, tx.body.nonce)) {
      runPredecessor(view, pending, block, tx.body.nonce);
    }
    const result = resultView(executeTx(view, tx, block));
    return { hash, height: block.height, includable: true, ...result, reason: reasonOf(result.code) };
  } catch (err) {
    if (!(err instanceof TxError)) throw err;
    const code = TX_ERRORS[err.code];
    return { hash, height: block.height, includable: false, code, reason: err.code, log: err.message, events: [] };
  }
}

/**
 * Runs a pending tx of the sender ahead of the simulated one. If its ante step fails (its nonce or fee: say
 * governance raised minFee after it was admitted), no block takes it, so the simulated tx's nonce would be
 * ahead of the account's: that is the simulated tx's reason (NONCE_TOO_HIGH), the log naming the
 * predecessor's nonce and its own error, rather than the predecessor's error shown as this tx's.
 */
function runPredecessor(view: Overlay, pending: DecodedTx, block: BlockContext, nonce: number): void {
  try {
    executeTx(view, pending, block);
  } catch (err) {
    if (!(err instanceof TxError)) throw err;
    throw new TxError(
      "NONCE_TOO_HIGH",
      `the sender's pending transaction of nonce ${pending.body.nonce} would fail first (${err.code}: ` +
      `${err.message}), so this one (nonce ${nonce}) would wait behind it`,
    );
  }
}

/** The result code's name: "OK" for 0. */
export function reasonOf(code: number): string {
  return code === 0 ? "OK" : (txErrorName(code) ?? `CODE_${code}`);
}

/** The same size limit, decoding and stateless checks as the mempool's admission (node/mempool.ts). */
function decodeChecked(bytes: Uint8Array, ctx: RpcContext): DecodedTx {
  const params = ctx.app.params; // in force for the next block, as admission checks them
  const { maxTxBytes } = params;
  if (bytes.byteLength > maxTxBytes) {
    throw new TxError("TX_TOO_LARGE", `transaction is ${bytes.byteLength} bytes; the limit is ${maxTxBytes}`);
  }
  let tx: DecodedTx;
  try {
    tx = decodeTx(bytes);
  } catch (err) {
    if (err instanceof CodecError) throw new TxError("TX_MALFORMED", `transaction rejected: ${err.message}`);
    throw err;
  }
  checkTxStateless(tx, ctx.chainId, params);
  return tx;
}

/** The latest state, each read charged to the request's work budget (throws once it runs out). */
class ChargedReader implements StateReader {
  private readonly base: StateReader;
  private readonly request: RequestScope;

  constructor(base: StateReader, request: RequestScope) {
    this.base = base;
    this.request = request;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    this.request.charge(1);
    return this.base.get(key);
  }

  getId(id: string, key: Uint8Array): Uint8Array | undefined {
    this.request.charge(1);
    return this.base.getId !== undefined ? this.base.getId(id, key) : this.base.get(key);
  }

  getRecordId<T>(id: string, key: Uint8Array, codec: RecordCodec<T>): T | undefined {
    this.request.charge(1);
    if (this.base.getRecordId !== undefined) return this.base.getRecordId(id, key, codec);
    const value = this.getId(id, key);
    return value === undefined ? undefined : codec.decode(value);
  }
}

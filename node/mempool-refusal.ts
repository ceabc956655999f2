import { encodeAddress } from "../crypto/address.ts";
import type { Account } from "../proto/records.ts";
import type { DecodedTx } from "../proto/tx.ts";
import { TxError } from "../state/errors.ts";
import { msgSpend } from "../state/execute.ts";
import { txWork } from "../state/work.ts";
import type { MempoolLimits } from "./mempool-limits.ts";

/** What admission's rules read of the pool (the Mempool's own public view of itself). */
export interface PoolView {
  readonly size: number;
  readonly totalBytes: number;
  readonly totalWork: number;
  readonly gappedCount: number;
  has(hashHex: string): boolean;
  /** The sender's pending txs: their nonces, summed spend, and how many wait behind a gap. */
  pendingOf(sender: Uint8Array): { byNonce: ReadonlyMap<number, unknown>; spend: bigint; gapped: number } | undefined;
}

/** The pool's caps: its limits, and the most work held (maxWorkBlocks blocks at the chain's maxBlockWork). */
export interface PoolCaps {
  limits: MempoolLimits;
  maxWork: number;
}

/**
 * Why `tx` cannot be admitted against the sender's `account` and the pool, if it cannot. Synchronous and
 * cheap: the rules are checked in order of cost, so most refusals are made before the signature check.
 * `next`: the first nonce missing from the sender's pending run.
 */
export function admissionRefusal(
  pool: PoolView,
  caps: PoolCaps,
  tx: DecodedTx,
  account: Account,
  next: number,
): TxError | undefined {
  const limits = caps.limits;
  if (pool.has(tx.id)) return new TxError("ALREADY_KNOWN", `transaction ${tx.id} is already in the mempool`);
  const nonce = tx.body.nonce;
  const who = { toString: () => encodeAddress(tx.sender) }; // formatted only if a message needs it
  if (nonce < account.nonce) {
    return new TxError("NONCE_TOO_LOW", `nonce ${account.nonce} expected, got ${nonce} (already used by ${who})`, {
      expected: account.nonce,
      got: nonce,
    });
  }
  if (nonce >= account.nonce + limits.maxPerSender) {
    return new TxError(
      "NONCE_TOO_HIGH",
      `nonce ${nonce} is too far ahead: ${who} is at nonce ${account.nonce}, at most ${limits.maxPerSender} may be pending`,
      { expected: account.nonce, got: nonce },
    );
  }
  const queue = pool.pendingOf(tx.sender);
  if (queue?.byNonce.has(nonce)) {
    return new TxError("NONCE_PENDING", `a transaction from ${who} with nonce ${nonce} is already pending`);
  }
  if (queue !== undefined && queue.byNonce.size >= limits.maxPerSender) {
    return new TxError("SENDER_QUEUE_FULL", `${who} already has ${queue.byNonce.size} pending transactions`);
  }
  const gapsFull = (queue?.gapped ?? 0) >= limits.maxGappedPerSender || pool.gappedCount >= limits.maxGappedTotal;
  if (nonce !== next && gapsFull) {
    return new TxError(
      "NONCE_TOO_HIGH",
      `nonce ${nonce} leaves a gap: ${who} needs nonce ${next} first (too many transactions already wait behind gaps)`,
      { expected: next, got: nonce },
    );
  }
  const spend = msgSpend(tx.body.msg) + tx.body.fee;
  const pending = queue?.spend ?? 0n;
  if (account.balance < pending + spend) {
    return new TxError(
      "INSUFFICIENT_FUNDS",
      `insufficient funds: ${who} has ${account.balance}, pending transactions spend ${pending}, this one needs ${spend} (amount + fee)`,
    );
  }
  if (
    pool.size >= limits.maxTxs ||
    pool.totalBytes + tx.bytes.byteLength > limits.maxBytes ||
    pool.totalWork + txWork(tx) > caps.maxWork
  ) {
    return new TxError("MEMPOOL_FULL", "the mempool is full; try again after the next block");
  }
  return undefined;
}

/**
 * What the mempool tells a user about a tx beyond "admitted": why a refused nonce is really a replay of an
 * included tx (ALREADY_INCLUDED, with its height), and why a pending tx is not in a block yet (tx_getStatus).
 */
import type { DecodedTx } from "../proto/tx.ts";
import { TxError } from "../state/errors.ts";
import type { Entry, SenderQueue } from "./mempool-books.ts";

/** Why a pending tx is not in a block yet. */
export interface PendingReason {
  /** NONCE_GAP: an earlier nonce of its sender is missing; CHECKING: its signature is being checked; QUEUED: next blocks. */
  reason: "NONCE_GAP" | "CHECKING" | "QUEUED";
  message: string;
}

/**
 * A nonce below the account's may be a replay of an included tx: say so, with its height. `includedAt`: the
 * height at which a tx hash was included, if it was (MempoolDeps.includedAt).
 */
export async function explainRefusal(
  includedAt: (hash: Uint8Array) => Promise<number | undefined>,
  tx: DecodedTx,
  refusal: TxError,
): Promise<TxError> {
  if (refusal.code !== "NONCE_TOO_LOW") return refusal;
  const height = await includedAt(tx.hash);
  if (height === undefined) return refusal;
  return new TxError("ALREADY_INCLUDED", `transaction ${tx.id} was already included at height ${height}`, {
    height,
  });
}

/**
 * Why a tx waits: `checking` if its admission is under way, else by its entry (undefined if not held) and its
 * sender's queue. Undefined if it is neither held nor being admitted.
 */
export function pendingReasonOf(
  checking: boolean,
  entry: Entry | undefined,
  queue: SenderQueue | undefined,
): PendingReason | undefined {
  if (checking) {
    return { reason: "CHECKING", message: "its signature is being checked for admission to the mempool" };
  }
  if (entry === undefined) return undefined;
  const { nonce } = entry.tx.body;
  if (queue !== undefined && nonce > queue.runEnd) {
    return {
      reason: "NONCE_GAP",
      message: `it has nonce ${nonce}, but its sender's nonce ${queue.runEnd} is missing (the account's next ` +
        `nonce is ${queue.base}): it waits until a tx with nonce ${queue.runEnd} arrives`,
    };
  }
  return { reason: "QUEUED", message: "it is executable and waits for a block to include it" };
}

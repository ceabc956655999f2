import type { BatchReply } from "../../rpc/client.ts";

/**
 * How the bench reads one tx_submit answer, for funding and load alike: accepted (or already there), a
 * back-pressure refusal to retry after a short wait, or any other refusal, which stops the bench.
 */
export const BACKPRESSURE_REASONS = ["MEMPOOL_FULL", "NONCE_TOO_HIGH", "SENDER_QUEUE_FULL"] as const;
const ALREADY_THERE = ["ALREADY_KNOWN", "ALREADY_INCLUDED"];

/** How long a client waits before sending refused transactions again. */
export const RETRY_WAIT_MS = 50;

/** The longest back-off: about a block interval, as the README advises a client told MEMPOOL_FULL. */
export const MAX_RETRY_WAIT_MS = 800;

/**
 * The wait before sending refused txs again: RETRY_WAIT_MS after a partly accepted batch, doubling while
 * whole batches are refused, up to MAX_RETRY_WAIT_MS. A client hammering a full node every 50 ms would
 * measure the node's cost of refusing it, not of committing.
 */
export function retryWaitMs(consecutiveFullRefusals: number): number {
  return Math.min(MAX_RETRY_WAIT_MS, RETRY_WAIT_MS * 2 ** consecutiveFullRefusals);
}

export type SubmitOutcome = { kind: "accepted" } | { kind: "retry"; reason: string } | { kind: "refused"; message: string };

export function submitOutcome(reply: BatchReply): SubmitOutcome {
  if (reply.error === undefined) return { kind: "accepted" };
  const reason = (reply.error.data as { reason?: string } | undefined)?.reason ?? "";
  if (ALREADY_THERE.includes(reason)) return { kind: "accepted" };
  if ((BACKPRESSURE_REASONS as readonly string[]).includes(reason)) return { kind: "retry", reason };
  return { kind: "refused", message: `${reason || `error ${reply.error.code}`}: ${reply.error.message}` };
}

export class TxRefusedError extends Error {
  constructor(what: string, message: string) {
    super(`${what}: a transaction was refused (${message})`);
    this.name = "TxRefusedError";
  }
}

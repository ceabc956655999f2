/**
 * How the load client sends refused transactions again, as a wallet would. A sender's txs go out in nonce
 * order; once one is refused for back-pressure (MEMPOOL_FULL), its later nonces cannot be admitted before it
 * (the node refuses them NONCE_TOO_HIGH, or holds them behind a gap), so they wait: the next attempt sends
 * only that sender's first pending tx, and the rest once it is accepted. Re-sending everything refused had
 * the node refuse each later nonce again and again: 164,326 NONCE_TOO_HIGH for 2,041 MEMPOOL_FULL at 2x load.
 */

export interface PendingTx {
  /** Which of the run's senders signed it. */
  sender: number;
  hash: string;
}

/** What to send now from `pending` (in nonce order per sender): all, but one tx per sender in `refused`. */
export function nextAttempt<T extends PendingTx>(pending: readonly T[], refused: ReadonlySet<number>): T[] {
  if (refused.size === 0) return [...pending];
  const probed = new Set<number>();
  return pending.filter((t) => {
    if (!refused.has(t.sender)) return true;
    if (probed.has(t.sender)) return false;
    probed.add(t.sender);
    return true;
  });
}

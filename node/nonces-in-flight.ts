/**
 * The nonces of admissions between their first check and their answer (most wait for their signature check),
 * by sender. A client's batch is admitted many calls at a time, so nonce n+1 is checked while n is still in
 * flight: it is no gap, and must not be refused as one when the gap cap is full (under overload it is), which
 * cascaded over every later nonce of the sender. Nothing is reserved here: a copied public key lets anyone put
 * a forgery in flight, so a tx admitted on the strength of an in-flight predecessor is checked again, after
 * that predecessor settled, before it is inserted (Mempool.checked and refusedOnRecheck).
 */

/** A promise that resolves once an admission of a sender and nonce is no longer in flight. */
interface Waiter {
  settled: Promise<void>;
  resolve: () => void;
}

/**
 * Nothing is made per admission but a map entry (the count of admissions of that sender and nonce): a promise
 * is made only when some admission asks to wait for one (`settled`), which is rare (a gap behind a predecessor
 * in flight).
 */
export class NoncesInFlight {
  /** Admissions in flight by sender and nonce (rivals for one nonce share the count). */
  private readonly bySender = new Map<string, Map<number, number>>();
  /** Promises asked for with `settled`, by waiterKey. */
  private readonly waiters = new Map<string, Waiter>();

  /** Marks an admission in flight; call `leave` with the same sender and nonce exactly once when it settled. */
  enter(sender: string, nonce: number): void {
    let counts = this.bySender.get(sender);
    if (counts === undefined) {
      counts = new Map();
      this.bySender.set(sender, counts);
    }
    counts.set(nonce, (counts.get(nonce) ?? 0) + 1);
  }

  /** Marks one admission of this sender and nonce settled (see enter). */
  leave(sender: string, nonce: number): void {
    const counts = this.bySender.get(sender);
    const count = counts?.get(nonce);
    if (counts === undefined || count === undefined) return;
    if (count > 1) {
      counts.set(nonce, count - 1);
      return;
    }
    counts.delete(nonce);
    if (counts.size === 0) this.bySender.delete(sender);
    if (this.waiters.size === 0) return;
    const key = waiterKey(sender, nonce);
    const waiter = this.waiters.get(key);
    if (waiter === undefined) return;
    this.waiters.delete(key);
    waiter.resolve();
  }

  has(sender: string, nonce: number): boolean {
    return this.bySender.get(sender)?.has(nonce) ?? false;
  }

  /** Resolves once no admission of this sender and nonce is in flight (undefined when none is now). */
  settled(sender: string, nonce: number): Promise<void> | undefined {
    if (!this.has(sender, nonce)) return undefined;
    const key = waiterKey(sender, nonce);
    let waiter = this.waiters.get(key);
    if (waiter === undefined) {
      let resolve = () => {};
      const settled = new Promise<void>((r) => {
        resolve = r;
      });
      waiter = { settled, resolve };
      this.waiters.set(key, waiter);
    }
    return waiter.settled;
  }
}

/** A sender id (keyId of a 20-byte address: always 20 chars, so the key is unambiguous) and a nonce. */
function waiterKey(sender: string, nonce: number): string {
  return `${sender}/${nonce}`;
}

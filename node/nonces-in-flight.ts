/**
 * The nonces of admissions between their first check and their answer (most wait for their signature check),
 * by sender. A client's batch is admitted many calls at a time, so nonce n+1 is checked while n is still in
 * flight: it is no gap, and must not be refused as one when the gap cap is full (under overload it is), which
 * cascaded over every later nonce of the sender. Nothing is reserved here: a copied public key lets anyone put
 * a forgery in flight, so a tx admitted on the strength of an in-flight predecessor is checked again, after
 * that predecessor settled, before it is inserted (Mempool.admit).
 */

interface Slot {
  /** Admissions in flight with this sender and nonce (rivals for one nonce share the slot). */
  count: number;
  settled: Promise<void>;
  release: () => void;
}

export class NoncesInFlight {
  private readonly bySender = new Map<string, Map<number, Slot>>();

  /** Marks an admission in flight; the function returned marks it settled (call it exactly once). */
  enter(sender: string, nonce: number): () => void {
    let slots = this.bySender.get(sender);
    if (slots === undefined) {
      slots = new Map();
      this.bySender.set(sender, slots);
    }
    let slot = slots.get(nonce);
    if (slot === undefined) {
      let release = () => {};
      const settled = new Promise<void>((resolve) => {
        release = resolve;
      });
      slot = { count: 0, settled, release };
      slots.set(nonce, slot);
    }
    slot.count++;
    const mine = slot;
    const bySender = slots;
    return () => {
      if (--mine.count > 0) return;
      bySender.delete(nonce);
      if (bySender.size === 0) this.bySender.delete(sender);
      mine.release();
    };
  }

  has(sender: string, nonce: number): boolean {
    return this.bySender.get(sender)?.has(nonce) ?? false;
  }

  /** Resolves once no admission of this sender and nonce is in flight (undefined when none is now). */
  settled(sender: string, nonce: number): Promise<void> | undefined {
    return this.bySender.get(sender)?.get(nonce)?.settled;
  }
}

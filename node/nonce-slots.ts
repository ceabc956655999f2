/** What reads a sender's pending txs by nonce (the mempool's admission rules: node/mempool-refusal.ts). */
export interface ByNonce<T> {
  readonly size: number;
  get(nonce: number): T | undefined;
}

/**
 * One sender's pending entries by nonce (node/mempool-books.ts): a ring of slots indexed by the nonce itself
 * (nonce & mask), spanning the least to the greatest nonce held. A sender's pending nonces lie close together
 * (admission takes none more than maxPerSender ahead of its account's nonce, and a block drops the ones it
 * used), so the ring is as long as that span, rounded up to a power of two, and grows only when the span does.
 *
 * Why not a Map: every pending tx enters and leaves its sender's map within a block or two, and V8 rebuilds an
 * ordered hash table that fills with deleted entries: at 1 validator those rebuilds were 45-54 bytes promoted a
 * tx (the wakeup probe's promoted-allocation profile). Here a nonce's slot is reused with no allocation.
 */
export class NonceSlots<T> implements ByNonce<T> {
  private slots: (T | undefined)[] = new Array<T | undefined>(8).fill(undefined);
  private mask = 7;
  /** The least and greatest nonce held (meaningful while count > 0). */
  private low = 0;
  private high = -1;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The least nonce held, or undefined when empty. */
  get lowestNonce(): number | undefined {
    return this.count === 0 ? undefined : this.low;
  }

  /** The greatest nonce held, or undefined when empty. */
  get highestNonce(): number | undefined {
    return this.count === 0 ? undefined : this.high;
  }

  get(nonce: number): T | undefined {
    return this.count === 0 || nonce < this.low || nonce > this.high ? undefined : this.slots[nonce & this.mask];
  }

  has(nonce: number): boolean {
    return this.get(nonce) !== undefined;
  }

  /** Holds `value` (not undefined) at `nonce`, replacing what was there. */
  set(nonce: number, value: T): void {
    if (!Number.isSafeInteger(nonce) || nonce < 0) throw new RangeError(`not a nonce: ${nonce}`);
    if (this.count === 0) {
      this.low = nonce;
      this.high = nonce;
    } else {
      const low = Math.min(this.low, nonce);
      const high = Math.max(this.high, nonce);
      if (high - low + 1 > this.slots.length) this.grow(high - low + 1);
      this.low = low;
      this.high = high;
    }
    const i = nonce & this.mask;
    if (this.slots[i] === undefined) this.count++;
    this.slots[i] = value;
  }

  /** Removes the entry at `nonce`; whether there was one. */
  delete(nonce: number): boolean {
    if (!this.has(nonce)) return false;
    this.slots[nonce & this.mask] = undefined;
    this.count--;
    if (this.count === 0) return true;
    // The ends move in to the nearest nonce still held (blocks drop a sender's nonces lowest first: one step).
    while (this.slots[this.low & this.mask] === undefined) this.low++;
    while (this.slots[this.high & this.mask] === undefined) this.high--;
    return true;
  }

  // The iterators below are for reads off the hot paths (the self-check, tests): a walk per block goes from
  // lowestNonce to highestNonce with get, which makes no object per entry.

  /** The nonces held, in ascending order. The caller may delete the nonce it was given before the next. */
  * keys(): Generator<number> {
    if (this.count === 0) return;
    for (let nonce = this.low, high = this.high; nonce <= high; nonce++) if (this.get(nonce) !== undefined) yield nonce;
  }

  /** The entries held, by ascending nonce. */
  * values(): Generator<T> {
    for (const nonce of this.keys()) yield this.get(nonce) as T;
  }

  /** [nonce, entry] pairs, by ascending nonce. */
  * entries(): Generator<[number, T]> {
    for (const nonce of this.keys()) yield [nonce, this.get(nonce) as T];
  }

  [Symbol.iterator](): Generator<[number, T]> {
    return this.entries();
  }

  /** Moves every entry into a ring of at least `span` slots (the held nonces' span after the next set). */
  private grow(span: number): void {
    let capacity = this.slots.length;
    while (capacity < span) capacity *= 2;
    const slots = new Array<T | undefined>(capacity).fill(undefined);
    const mask = capacity - 1;
    for (let nonce = this.low; nonce <= this.high; nonce++) slots[nonce & mask] = this.slots[nonce & this.mask];
    this.slots = slots;
    this.mask = mask;
  }
}

/**
 * What became of recent transactions that left the mempool without being included: refused after admission
 * (a block made them invalid) or evicted (TTL, replaced by a tx paying more for the same nonce, or pushed out
 * of a full mempool by one paying more per byte). tx_getStatus reads it; included txs are read from the chain,
 * pending ones from the mempool. Memory is bounded by count and by age, so a flood of dropped txs costs at
 * most MAX_TX_FATES small entries and nothing lingers past TX_FATE_TTL_MS.
 */

/** The most fates remembered at once (~200 bytes each): the oldest is forgotten first. */
export const MAX_TX_FATES = 10_000;

/** How long a fate is remembered: long enough for a client to ask again after a timeout or a restart of its own. */
export const TX_FATE_TTL_MS = 10 * 60_000;

export type TxFateStatus = "rejected" | "evicted";

export interface TxFate {
  status: TxFateStatus;
  /** A stable name: a TxError code (NONCE_TOO_LOW, INSUFFICIENT_FUNDS, ...) or TTL, REPLACED, MEMPOOL_FULL. */
  reason: string;
  /** Why, for a person. */
  message: string;
  /** REPLACED: the hash (hex) of the tx that took its nonce. */
  replacedBy?: string;
  /** The chain's height when it left the mempool. */
  height: number;
}

export interface RecordedFate extends TxFate {
  /** This node's clock when it was recorded, in ms. */
  atMs: number;
}

export interface TxFatesOptions {
  now?: () => number;
  maxEntries?: number;
  ttlMs?: number;
}

export class TxFates {
  /** By tx hash (hex), with the place of its record in `order`. */
  private readonly fates = new Map<string, { fate: RecordedFate; at: number }>();
  /**
   * The hashes in the order they were recorded, from `head` on (a re-record leaves an empty place behind and
   * takes a new one at the end): pruning forgets from the front and moves `head` past what it forgot, so each
   * place is passed once. (A Map's own order served before, but iterating a Map from its start walks over
   * every entry deleted since its table was last rebuilt: with 10,000 fates turning over, several
   * microseconds per record and per lookup.)
   */
  private order: (string | undefined)[] = [];
  private head = 0;
  private readonly now: () => number;
  private readonly maxEntries: number;
  private readonly ttlMs: number;

  constructor(opts: TxFatesOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.maxEntries = opts.maxEntries ?? MAX_TX_FATES;
    this.ttlMs = opts.ttlMs ?? TX_FATE_TTL_MS;
    if (!Number.isSafeInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new Error(`TxFates maxEntries must be a positive integer, not ${this.maxEntries}`);
    }
  }

  get size(): number {
    return this.fates.size;
  }

  record(hashHex: string, fate: TxFate): void {
    const earlier = this.fates.get(hashHex);
    if (earlier !== undefined) this.order[earlier.at] = undefined;
    this.fates.set(hashHex, { fate: { ...fate, atMs: this.now() }, at: this.order.length });
    this.order.push(hashHex);
    this.prune();
  }

  get(hashHex: string): RecordedFate | undefined {
    this.prune();
    return this.fates.get(hashHex)?.fate;
  }

  /** Forgets the too old and the over-count, oldest first: stops at the first one kept, so O(forgotten). */
  private prune(): void {
    const oldest = this.now() - this.ttlMs;
    while (this.head < this.order.length) {
      const hash = this.order[this.head];
      if (hash !== undefined) {
        const entry = this.fates.get(hash) as { fate: RecordedFate };
        if (this.fates.size <= this.maxEntries && entry.fate.atMs >= oldest) break;
        this.fates.delete(hash);
      }
      this.order[this.head] = undefined;
      this.head++;
    }
    // The places passed are dropped once they are half the list: each is moved at most once more.
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      for (let i = 0; i < this.order.length; i++) {
        const hash = this.order[i];
        if (hash !== undefined) (this.fates.get(hash) as { at: number }).at = i;
      }
      this.head = 0;
    }
  }
}

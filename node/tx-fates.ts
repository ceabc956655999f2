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
  /** By tx hash (hex), oldest first (Map insertion order; a re-record moves to the end). */
  private readonly fates = new Map<string, RecordedFate>();
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
    this.fates.delete(hashHex);
    this.fates.set(hashHex, { ...fate, atMs: this.now() });
    this.prune();
  }

  get(hashHex: string): RecordedFate | undefined {
    this.prune();
    return this.fates.get(hashHex);
  }

  /** Forgets the too old and the over-count, oldest first: stops at the first one kept, so O(forgotten). */
  private prune(): void {
    const oldest = this.now() - this.ttlMs;
    for (const [hash, fate] of this.fates) {
      if (this.fates.size <= this.maxEntries && fate.atMs >= oldest) break;
      this.fates.delete(hash);
    }
  }
}

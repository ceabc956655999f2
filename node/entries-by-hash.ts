import { TxIdTable } from "./tx-id-table.ts";

/** An entry's neighbours in admission order: fields of the entry itself, so no list node is made per tx. */
export interface AdmissionLinks<T> {
  older: T | undefined;
  newer: T | undefined;
}

/** What EntriesByHash keys an entry by: its tx's id (the hex of its hash). */
export interface KeyedByTxId {
  tx: { id: string };
}

/**
 * The mempool's pending entries by tx id, in admission order (the TTL's expiry stops at the first entry still
 * young, oldest first). A TxIdTable (node/tx-id-table.ts) for the lookups and a list threaded through the
 * entries for the order.
 *
 * Why not a Map (ordered too): every pending tx enters and leaves it within a block or two, and V8's ordered
 * hash table allocates a whole new table whenever it fills with deleted entries or its size doubles: a table of
 * the pool's few thousand entries is tens of KB (a full pool's, 10,000, is in V8's large-object space from
 * the start), and it lives long enough to be promoted. The 4-validator bench's promoted-allocation profile
 * counted that Map's `set` at ~120 bytes a tx, 4% of everything promoted. A TxIdTable allocates only when it
 * grows past its largest size, and the links are two fields of an entry that exists anyway.
 */
export class EntriesByHash<T extends AdmissionLinks<T> & KeyedByTxId> {
  private readonly table = new TxIdTable<T>();
  private first: T | undefined;
  private last: T | undefined;

  get size(): number {
    return this.table.size;
  }

  /** The entry admitted first of those here. */
  get oldest(): T | undefined {
    return this.first;
  }

  has(id: string): boolean {
    return this.table.has(id);
  }

  get(id: string): T | undefined {
    return this.table.get(id);
  }

  /** Adds `entry` as the newest. Its tx id must not be here already (the mempool holds a tx once). */
  add(entry: T): void {
    if (this.table.has(entry.tx.id)) throw new Error(`tx ${entry.tx.id} is in the mempool's books already`);
    this.table.set(entry.tx.id, entry);
    entry.older = this.last;
    entry.newer = undefined;
    if (this.last === undefined) this.first = entry;
    else this.last.newer = entry;
    this.last = entry;
  }

  /** Removes the entry of this id, if here; returns it. */
  delete(id: string): T | undefined {
    const entry = this.table.get(id);
    if (entry === undefined) return undefined;
    this.table.delete(id);
    const { older, newer } = entry;
    if (older === undefined) this.first = newer;
    else older.newer = newer;
    if (newer === undefined) this.last = older;
    else newer.older = older;
    entry.older = undefined;
    entry.newer = undefined;
    return entry;
  }

  /**
   * Every entry, oldest first. The caller may delete the entry it was given (not others) before asking for
   * the next.
   */
  * values(): Generator<T> {
    for (let entry = this.first; entry !== undefined;) {
      const newer = entry.newer;
      yield entry;
      entry = newer;
    }
  }
}

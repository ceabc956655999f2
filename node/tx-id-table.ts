import { randomFillSync } from "node:crypto";

/**
 * A hash table keyed by transaction ids (DecodedTx.id: the hex of a tx's sha256), for the sets and maps every
 * tx passes through on its way to a block: the admissions under way, the signature checks under way, the
 * relayed txs being admitted, the pending txs (node/entries-by-hash.ts), the hashes seen and the txs verified.
 *
 * Why not Map and Set: V8 builds them as ordered hash tables that allocate a whole new table whenever the
 * table fills with deleted entries, its size doubles, or it falls under a quarter of its capacity. A map that
 * every tx enters and leaves within a second does all three without end (0 -> a few thousand -> 0 per block), and
 * the tables alive at a scavenge are promoted: on a loaded validator the sampled allocations of these maps'
 * `set`, `add` and `delete` were ~9% of all bytes promoted to the old generation (the wakeup probe's promoted
 * profile, 4 validators at 2,000 tx/s). This one is open addressing (linear probing, deletion by backward
 * shift, so no tombstones) over two arrays that grow by doubling when half full and never shrink: entries come
 * and go with no allocation. A table keeps the slots of the most entries it ever held (20 bytes a slot, at least
 * two slots an entry), which each user bounds: the admission queue, the relay's in-flight bounds, a
 * RecentTxIds' capacity. In a microbenchmark of 2,000 inserts then 2,000 deletes, repeated: 39 ns an
 * insert and delete with no GC, against 90 ns and a scavenge every ~12 rounds for a Map of the same strings.
 *
 * A slot is chosen by a multiply-shift hash of the id's first 16 characters (64 bits of a sha256) under two odd
 * multipliers drawn at random for each table: a sender grinding tx hashes cannot aim its txs at one run of
 * slots without knowing them. Any string is a valid key (a lookup with a malformed id simply misses).
 */
export class TxIdTable<V> {
  private keys: (string | undefined)[];
  private values: (V | undefined)[];
  /**
   * Each used slot's full 32-bit hash (its home is the top bits): a probe compares these, packed side by side,
   * and reads a key's string only when they match; a deletion's backward shift and a growth place entries by
   * them without reading any string. A probe that read each key it passed (a string elsewhere in the heap)
   * missed the cache once per occupied slot: ~1 us a lookup in a loaded validator's tables of 50,000 ids.
   */
  private hashes: Int32Array;
  private mask: number;
  /** 32 - log2(capacity): the product's top bits are the slot. */
  private shift: number;
  private count = 0;
  private readonly m1: number;
  private readonly m2: number;

  constructor(initialCapacity = 64) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity *= 2;
    this.keys = new Array<string | undefined>(capacity).fill(undefined);
    this.values = new Array<V | undefined>(capacity).fill(undefined);
    this.hashes = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    const random = new Uint32Array(2);
    randomFillSync(random);
    this.m1 = random[0] | 1;
    this.m2 = random[1] | 1;
  }

  get size(): number {
    return this.count;
  }

  /** Slots, used or not (what the table holds in memory). */
  get capacity(): number {
    return this.keys.length;
  }

  has(id: string): boolean {
    return this.find(id, this.hash(id)) >= 0;
  }

  get(id: string): V | undefined {
    const i = this.find(id, this.hash(id));
    return i < 0 ? undefined : this.values[i];
  }

  set(id: string, value: V): void {
    this.put(id, this.hash(id), value);
  }

  /** Removes `id`; whether it was there. */
  delete(id: string): boolean {
    let i = this.find(id, this.hash(id));
    if (i < 0) return false;
    this.count--;
    // Backward shift: each later entry of the run that may live at the hole (its home is not between the hole
    // and itself) moves into it, and the hole moves on; the run stays unbroken for every lookup.
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      if (this.keys[j] === undefined) break;
      const h = this.hashes[j];
      const home = h >>> this.shift;
      if (((j - home) & this.mask) >= ((j - i) & this.mask)) {
        this.keys[i] = this.keys[j];
        this.values[i] = this.values[j];
        this.hashes[i] = h;
        i = j;
      }
    }
    this.keys[i] = undefined;
    this.values[i] = undefined;
    return true;
  }

  private put(id: string, h: number, value: V): void {
    let i = h >>> this.shift;
    for (;;) {
      const k = this.keys[i];
      if (k === undefined) break;
      if (this.hashes[i] === h && k === id) {
        this.values[i] = value;
        return;
      }
      i = (i + 1) & this.mask;
    }
    if ((this.count + 1) * 2 > this.keys.length) {
      this.grow();
      this.put(id, h, value);
      return;
    }
    this.keys[i] = id;
    this.values[i] = value;
    this.hashes[i] = h;
    this.count++;
  }

  private find(id: string, h: number): number {
    let i = h >>> this.shift;
    for (;;) {
      const k = this.keys[i];
      if (k === undefined) return -1;
      if (this.hashes[i] === h && k === id) return i;
      i = (i + 1) & this.mask;
    }
  }

  /** The id's 32-bit hash: its slot is the top bits (home), and probes compare all of it first. */
  private hash(id: string): number {
    return Math.imul(Math.imul(word(id, 0), this.m1) ^ word(id, 8), this.m2);
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    const hashes = this.hashes;
    const capacity = keys.length * 2;
    this.keys = new Array<string | undefined>(capacity).fill(undefined);
    this.values = new Array<V | undefined>(capacity).fill(undefined);
    this.hashes = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.shift--;
    this.count = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (k !== undefined) this.put(k, hashes[i], values[i] as V);
    }
  }
}

/**
 * Eight characters of `id` from `at`, read as hex digits into 32 bits (any other character gives some digit;
 * one past the end gives 0): no string or number is made per lookup.
 */
function word(id: string, at: number): number {
  let w = 0;
  for (let i = at; i < at + 8; i++) {
    const c = id.charCodeAt(i) | 0; // NaN past the end
    w = (w << 4) | ((c & 0x0f) + 9 * ((c >> 6) & 1));
  }
  return w;
}

/**
 * A set of the last `capacity` ids added: a ring of them over a TxIdTable that maps each id to its ring slot.
 * An id leaves when `capacity` ids have been added after it (its slot comes round again), or when deleted; a
 * deleted id's slot is emptied at once (its string is not kept), and an id added again takes a new slot. So
 * the set holds at most `capacity` ids, and forgets each one once `capacity` new ids have been added after it
 * (adding an id already held changes nothing), however many were deleted meanwhile. The ring grows as ids are
 * added (empty until the first), up to `capacity` slots.
 */
export class RecentTxIds {
  private readonly table = new TxIdTable<number>();
  private readonly ring: (string | undefined)[] = [];
  private readonly capacity: number;
  private next = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`a set of recent ids needs a capacity of at least 1, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  get size(): number {
    return this.table.size;
  }

  has(id: string): boolean {
    return this.table.has(id);
  }

  add(id: string): void {
    if (this.table.has(id)) return;
    if (this.ring.length < this.capacity) {
      this.ring.push(id);
      this.table.set(id, this.ring.length - 1);
      return;
    }
    const oldest = this.ring[this.next];
    if (oldest !== undefined) this.table.delete(oldest);
    this.ring[this.next] = id;
    this.table.set(id, this.next);
    this.next = (this.next + 1) % this.capacity;
  }

  delete(id: string): boolean {
    const slot = this.table.get(id);
    if (slot === undefined) return false;
    this.table.delete(id);
    this.ring[slot] = undefined;
    return true;
  }
}

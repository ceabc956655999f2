/**
 * A cache of at most `limit` entries that forgets the oldest first (first in, first out; a hit does not
 * refresh), for the caches every tx or RPC call may add to: parsed public keys, senders' addresses, decoded
 * address texts.
 *
 * Why not a Map alone, evicting `map.keys().next()`: V8's Map leaves a deleted entry as a hole in its table
 * until the table is rebuilt, and the iterator walks from the table's start over every hole, so evicting the
 * oldest entry of a full Map over and over costs a walk over all earlier evictions: 4-16 us an eviction for
 * 10,000-100,000 entries (against ~0.4 us here), measured in a loop of 100,000 evictions on Node 24. A
 * stranger sending transactions or RPC calls from ever new keys paid the node that much per new key. Here the
 * keys wait in a ring in the order they came, and the oldest is the slot the next key takes. There is no
 * delete: the ring holds exactly the Map's keys, and one deleted from the Map alone would leave the ring wrong.
 */
export class FifoCache<K, V> {
  private readonly map = new Map<K, V>();
  /** The keys in the order they came: slot `next` holds the oldest once the ring is full. */
  private readonly ring: K[] = [];
  private next = 0;
  private readonly limit: number;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a cache needs a limit of at least 1, got ${limit}`);
    this.limit = limit;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Caches `value` under `key`; a new key at the limit evicts the oldest. A key already here keeps its place. */
  set(key: K, value: V): void {
    if (this.map.has(key)) {
      this.map.set(key, value);
      return;
    }
    if (this.ring.length < this.limit) {
      this.ring.push(key);
    } else {
      this.map.delete(this.ring[this.next]);
      this.ring[this.next] = key;
      this.next = (this.next + 1) % this.limit;
    }
    this.map.set(key, value);
  }
}

/**
 * The mempool's priority index for eviction when it is full: a binary min-heap of items (each sender's
 * highest-nonce pending tx) by fee per weight (node/pool-weight.ts: its share of the cap that binds), with each item's position kept so that an item is moved or
 * removed in O(log n) when its sender's highest nonce changes. Finding the k cheapest reads the heap without
 * changing it, in O(k log k): admission never scans the pool.
 */

/** What an item pays: its fee, and its weight (poolWeight: what it takes of the pool). */
export interface Price {
  fee: bigint;
  weight: bigint;
}

/** Whether `a` pays strictly less per weight than `b` (exact: cross-multiplied, no division, no float). */
export function cheaperPerWeight(a: Price, b: Price): boolean {
  return a.fee * b.weight < b.fee * a.weight;
}

export class CheapestFirst<T> {
  private readonly heap: T[] = [];
  private readonly position = new Map<T, number>();
  private readonly priceOf: (item: T) => Price;

  /** `priceOf` is read at each comparison: call `set(item)` again after an item's price changes. */
  constructor(priceOf: (item: T) => Price) {
    this.priceOf = priceOf;
  }

  get size(): number {
    return this.heap.length;
  }

  has(item: T): boolean {
    return this.position.has(item);
  }

  /** Adds the item, or moves it to where its (new) price puts it. */
  set(item: T): void {
    const at = this.position.get(item);
    if (at === undefined) {
      this.heap.push(item);
      this.position.set(item, this.heap.length - 1);
      this.up(this.heap.length - 1);
    } else if (!this.up(at)) {
      this.down(at);
    }
  }

  delete(item: T): void {
    const at = this.position.get(item);
    if (at === undefined) return;
    this.position.delete(item);
    const last = this.heap.pop() as T;
    if (at === this.heap.length) return; // it was the last one
    this.heap[at] = last;
    this.position.set(last, at);
    if (!this.up(at)) this.down(at);
  }

  /** The cheapest item, if any: O(1). */
  peek(): T | undefined {
    return this.heap[0];
  }

  /**
   * The cheapest items, cheapest first, at most `count`, skipping those `skip` rejects. Reads O(count) heap
   * nodes and leaves the heap as it is: the frontier of candidates starts at the root and each item taken
   * adds its two children (a parent is never dearer than its children).
   */
  cheapest(count: number, skip?: (item: T) => boolean): T[] {
    const out: T[] = [];
    const frontier: number[] = this.heap.length > 0 ? [0] : [];
    while (out.length < count && frontier.length > 0) {
      let best = 0;
      for (let i = 1; i < frontier.length; i++) if (this.less(frontier[i], frontier[best])) best = i;
      const at = frontier[best];
      frontier[best] = frontier[frontier.length - 1];
      frontier.pop();
      for (const child of [2 * at + 1, 2 * at + 2]) if (child < this.heap.length) frontier.push(child);
      if (skip === undefined || !skip(this.heap[at])) out.push(this.heap[at]);
    }
    return out;
  }

  private less(i: number, j: number): boolean {
    return cheaperPerWeight(this.priceOf(this.heap[i]), this.priceOf(this.heap[j]));
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i];
    const b = this.heap[j];
    this.heap[i] = b;
    this.heap[j] = a;
    this.position.set(b, i);
    this.position.set(a, j);
  }

  /** Moves the item at `at` up while it is cheaper than its parent; whether it moved. */
  private up(at: number): boolean {
    let i = at;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
    return i !== at;
  }

  private down(at: number): void {
    let i = at;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.heap.length) return;
      const right = left + 1;
      const child = right < this.heap.length && this.less(right, left) ? right : left;
      if (!this.less(child, i)) return;
      this.swap(i, child);
      i = child;
    }
  }
}

import { type InternalNode, inlineLeaves } from "./node-codec.ts";

/**
 * The JS heap one cached node costs besides its key and record bytes and its leaves' hashes: the node and
 * ref objects, their typed-array views, the Map entry and slot arrays. Measured with --expose-gc on Node 24
 * (heapUsed + arrayBuffers over 100,000 decoded nodes of the three shapes, records averaging 114 bytes):
 * 804 B a node, which this constant makes the estimate cover (12-byte key + 114 + 600 + 96 = 822 B).
 */
export const NODE_OVERHEAD_BYTES = 600;
/** Each inline leaf's hash, once asked for (node-codec.ts's Leaf hashes lazily), is kept: 32 bytes and an array header. */
const LEAF_HASH_BYTES = 96;

/**
 * Decoded tree nodes by key, bounded in (estimated) bytes, not in count: nodes differ in size, and the
 * operator sets the memory it may use (`[state] cache_bytes`, of which NodeCache gives this its share). A hit
 * allocates nothing, but each node held is 5-9 JS objects that every full GC marks. Eviction is CLOCK (second chance), an
 * approximation of least-recently-used whose hits write one flag: an exact LRU on a Map (delete and re-insert
 * on every hit, evict the Map's first entry) cost over 40% of a block's tree build, measured, as the Map's
 * deleted slots piled up at its front. Nodes never change once written, so a cached node is never stale;
 * pruned ones simply age out.
 */
export class DecodedNodeCache {
  readonly maxBytes: number;
  private readonly index = new Map<string, number>();
  private readonly ids: (string | undefined)[] = [];
  private readonly nodes: (InternalNode | undefined)[] = [];
  private readonly sizes: number[] = [];
  private readonly used: boolean[] = [];
  private readonly free: number[] = [];
  private hand = 0;
  private held = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** The estimated bytes held now (never above maxBytes). */
  get bytes(): number {
    return this.held;
  }

  get size(): number {
    return this.index.size;
  }

  get(id: string): InternalNode | undefined {
    const slot = this.index.get(id);
    if (slot === undefined) return undefined;
    this.used[slot] = true;
    return this.nodes[slot];
  }

  /**
   * The node if cached, without marking it used: a reader that does not own this cache (past-height proofs
   * reading the hot cache) shares what it holds but cannot change what it evicts next.
   */
  peek(id: string): InternalNode | undefined {
    const slot = this.index.get(id);
    return slot === undefined ? undefined : this.nodes[slot];
  }

  /** `recordBytes`: the size of the node's record on disk (what its refs take in memory, roughly). */
  set(id: string, node: InternalNode, recordBytes: number): void {
    const bytes = id.length + recordBytes + NODE_OVERHEAD_BYTES + inlineLeaves(node) * LEAF_HASH_BYTES;
    if (bytes > this.maxBytes || this.index.has(id)) return; // a key's node never changes
    while (this.held + bytes > this.maxBytes) this.evictOne();
    const slot = this.free.pop() ?? this.ids.length;
    this.ids[slot] = id;
    this.nodes[slot] = node;
    this.sizes[slot] = bytes;
    this.used[slot] = true; // one turn of the hand before it can go
    this.index.set(id, slot);
    this.held += bytes;
  }

  private evictOne(): void {
    for (;;) {
      const slot = this.hand;
      this.hand = this.hand + 1 >= this.ids.length ? 0 : this.hand + 1;
      const id = this.ids[slot];
      if (id === undefined) continue;
      if (this.used[slot]) {
        this.used[slot] = false;
        continue;
      }
      this.index.delete(id);
      this.ids[slot] = undefined;
      this.nodes[slot] = undefined;
      this.held -= this.sizes[slot];
      this.free.push(slot);
      return;
    }
  }
}

import { DecodedNodeCache } from "./decoded-node-cache.ts";
import { decodeNode, type InternalNode, NODE_KEY_DEPTH_BYTE } from "./node-codec.ts";
import { PastNodeCache } from "./past-node-cache.ts";

/** The hot-node cache's default bound: the top levels of a tree of millions of entries fit many times over. */
export const DEFAULT_TREE_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * Nodes above this depth are kept decoded; this one and below, as packed records. Every block reads and
 * rewrites the top levels (a block of a few thousand writes touches most nodes of the top 11), so they are
 * worth keeping ready; below, a block meets each node about once.
 */
export const DECODED_DEPTH = 8;
/** The decoded tier's share of the bound: the top DECODED_DEPTH levels are at most 255 nodes per version... */
const DECODED_SHARE = 1 / 8;
/**
 * ...but at least this much (or the whole bound, if smaller): ~320 decoded nodes, more than one version's top
 * levels, at the smallest `[state] cache_bytes` (1 MiB). A bound too small for the packed tier to hold a
 * record (below ~392 KiB: tests) keeps every node decoded, as the cache did before it had tiers.
 */
const DECODED_FLOOR_BYTES = 256 * 1024;

/**
 * The latest tree's hot-node cache, in two tiers by depth. The top levels decoded (DecodedNodeCache): a hit
 * allocates nothing. The rest as packed records in shared chunks (PastNodeCache), decoded when asked for:
 * a loaded node that creates accounts caches about four new nodes per tx, and held decoded (5-9 objects each,
 * ~820 bytes) they were copied out of V8's young generation and marked at every full GC; packed they are
 * ~190 bytes in a chunk (id and record) and a table slot, no object at all, and a cache of the same bound
 * holds two to four times as many (the packed tier drops its older generation whole: at least one generation
 * is always held). The price: a packed hit in a block's build decodes a fresh node (~1 KB of short-lived
 * objects) whose leaves hash again when asked for; a lookup reads the record in place (packedRecord).
 */
export class NodeCache {
  readonly maxBytes: number;
  readonly decoded: DecodedNodeCache;
  readonly packed: PastNodeCache;
  /** The depths from which nodes are packed: DECODED_DEPTH, or none when the packed tier could hold nothing. */
  private readonly packedFrom: number;

  constructor(maxBytes = DEFAULT_TREE_CACHE_BYTES) {
    this.maxBytes = maxBytes;
    const decoded = Math.max(Math.floor(maxBytes * DECODED_SHARE), Math.min(maxBytes, DECODED_FLOOR_BYTES));
    this.packed = new PastNodeCache(maxBytes - decoded); // holds nothing if too small: then all is decoded
    this.packedFrom = this.packed.holdsRecords ? DECODED_DEPTH : Number.POSITIVE_INFINITY;
    this.decoded = new DecodedNodeCache(this.packed.holdsRecords ? decoded : maxBytes);
  }

  /** The estimated bytes held now (never above maxBytes). */
  get bytes(): number {
    return this.decoded.bytes + this.packed.bytes;
  }

  get size(): number {
    return this.decoded.size + this.packed.size;
  }

  /** The node of `id` (cacheId of its nodeKey: its depth is the id's unit NODE_KEY_DEPTH_BYTE) from its tier. */
  get(id: string): InternalNode | undefined {
    return this.decodedDepth(id) ? this.decoded.get(id) : this.packed.get(id);
  }

  /**
   * The node if cached, without marking it used: a reader that does not own this cache (past-height proofs
   * reading the hot cache) shares what it holds but cannot change what it evicts next.
   */
  peek(id: string): InternalNode | undefined {
    return this.decodedDepth(id) ? this.decoded.peek(id) : this.packed.peek(id);
  }

  /**
   * Holds a checked node at `depth` from its record. `node`: its decoding if the caller has one whose views
   * may be kept; else the decoded tier decodes a copy of `record` (which may sit in a larger buffer: a
   * candidate's chunk), one array per node as NODE_OVERHEAD_BYTES was measured with.
   */
  set(id: string, depth: number, record: Uint8Array, node?: InternalNode): void {
    if (depth < this.packedFrom) this.decoded.set(id, node ?? decodeNode(record.slice()), record.byteLength);
    else this.packed.set(id, record);
  }

  /** Whether nodes at `depth` are held packed (then packedRecord may find them), not decoded. */
  packs(depth: number): boolean {
    return depth >= this.packedFrom;
  }

  /** The packed record of `id` (a node at a depth this cache packs), a view not to be kept; undefined if not held. */
  packedRecord(id: string): Uint8Array | undefined {
    return this.packed.record(id);
  }

  private decodedDepth(id: string): boolean {
    return id.charCodeAt(NODE_KEY_DEPTH_BYTE) < this.packedFrom;
  }
}

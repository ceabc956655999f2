import { DecodedNodeCache } from "./decoded-node-cache.ts";
import { decodeNode, type InternalNode } from "./node-codec.ts";
import { PastNodeCache } from "./past-node-cache.ts";

/** The hot-node cache's default bound: the top levels of a tree of millions of entries fit many times over. */
export const DEFAULT_TREE_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * Nodes above this depth are kept decoded; this one and below, as packed records. Every block reads and
 * rewrites the top levels (a block of a few thousand writes touches most nodes of the top 11), so they are
 * worth keeping ready; below, a block meets each node about once.
 */
export const DECODED_DEPTH = 8;
/** The decoded tier's share of the bound: the top DECODED_DEPTH levels are at most 255 nodes per version. */
const DECODED_SHARE = 1 / 8;

/**
 * The latest tree's hot-node cache, in two tiers by depth. The top levels decoded (DecodedNodeCache): a hit
 * allocates nothing. The rest as packed records in shared chunks (PastNodeCache), decoded when asked for:
 * a loaded node that creates accounts caches about four new nodes per tx, and held decoded (5-9 objects each,
 * ~820 bytes) they were copied out of V8's young generation and marked at every full GC; packed they are one
 * id string and ~180 bytes in a chunk, and a cache of the same bound holds four times as many.
 */
export class NodeCache {
  readonly maxBytes: number;
  readonly decoded: DecodedNodeCache;
  readonly packed: PastNodeCache;

  constructor(maxBytes = DEFAULT_TREE_CACHE_BYTES) {
    this.maxBytes = maxBytes;
    this.decoded = new DecodedNodeCache(Math.floor(maxBytes * DECODED_SHARE));
    this.packed = new PastNodeCache(maxBytes - this.decoded.maxBytes);
  }

  /** The estimated bytes held now (never above maxBytes). */
  get bytes(): number {
    return this.decoded.bytes + this.packed.bytes;
  }

  get size(): number {
    return this.decoded.size + this.packed.size;
  }

  get(id: string): InternalNode | undefined {
    return this.decoded.get(id) ?? this.packed.get(id);
  }

  /**
   * The node if cached, without marking it used: a reader that does not own this cache (past-height proofs
   * reading the hot cache) shares what it holds but cannot change what it evicts next.
   */
  peek(id: string): InternalNode | undefined {
    return this.decoded.peek(id) ?? this.packed.peek(id);
  }

  /**
   * Holds a checked node at `depth` from its record (views into `record` are not kept: a record may sit in a
   * larger buffer). `node`: its decoding if the caller has one whose fields may be kept.
   */
  set(id: string, depth: number, record: Uint8Array, node?: InternalNode): void {
    if (depth < DECODED_DEPTH) this.decoded.set(id, node ?? decodeNode(record, true), record.byteLength);
    else this.packed.set(id, record);
  }
}

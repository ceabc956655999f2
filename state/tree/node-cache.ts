import { type InternalNode, inlineLeaves } from "./node-codec.ts";

/** The hot-node cache's default bound: the top levels of a tree of millions of entries fit many times over. */
export const DEFAULT_TREE_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * An estimate of the JS heap one cached node costs besides its key and record bytes: the Map entry, the node
 * and ref objects and their typed-array headers (measured roughly with --expose-gc on Node 24: ~300-400 B).
 */
export const NODE_OVERHEAD_BYTES = 400;
/** Each inline leaf's hash is computed at decoding and kept (32 bytes and an array header). */
const LEAF_HASH_BYTES = 96;

interface Cached {
  node: InternalNode;
  bytes: number;
}

/**
 * Decoded tree nodes by key, least recently used evicted first, bounded in (estimated) bytes, not in count:
 * nodes differ in size, and the operator sets the memory it may use (`[state] cache_bytes`). Nodes never
 * change once written, so a cached node is never stale; pruned ones simply age out.
 */
export class NodeCache {
  readonly maxBytes: number;
  private readonly entries = new Map<string, Cached>();
  private used = 0;

  constructor(maxBytes = DEFAULT_TREE_CACHE_BYTES) {
    this.maxBytes = maxBytes;
  }

  /** The estimated bytes held now (never above maxBytes). */
  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  get(id: string): InternalNode | undefined {
    const hit = this.entries.get(id);
    if (hit === undefined) return undefined;
    // Most recently used last: re-inserting moves it to the end of the Map's order.
    this.entries.delete(id);
    this.entries.set(id, hit);
    return hit.node;
  }

  /** `recordBytes`: the size of the node's record on disk (what its refs take in memory, roughly). */
  set(id: string, node: InternalNode, recordBytes: number): void {
    const bytes = id.length + recordBytes + NODE_OVERHEAD_BYTES + inlineLeaves(node) * LEAF_HASH_BYTES;
    if (bytes > this.maxBytes) return;
    const old = this.entries.get(id);
    if (old !== undefined) {
      this.entries.delete(id);
      this.used -= old.bytes;
    }
    this.entries.set(id, { node, bytes });
    this.used += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.used <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.used -= entry.bytes;
    }
  }
}

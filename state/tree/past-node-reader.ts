import { DecodedNodeCache } from "./decoded-node-cache.ts";
import type { NodeCache } from "./node-cache.ts";
import { type InternalNode, MAX_NODE_RECORD_BYTES, nodeKey, type Ref } from "./node-codec.ts";
import { cacheId, type NodeStore, readCheckedNode, readRoot, type TreeNodeSource } from "./node-reader.ts";
import { PastNodeCache } from "./past-node-cache.ts";

/**
 * Reads the trees of heights below the latest, for proofs. A node is looked for in the hot-node cache first,
 * without marking it used (NodeCache.peek): nodes are immutable by key, so an unchanged subtree's nodes are
 * the same at every height that still has them, and sharing them costs execution nothing (proofs cannot
 * change what the hot cache evicts). Else in this reader's own caches: decoded nodes for the ones read often,
 * packed records for many more (PastNodeCache). Else on disk, where each record is checked against the hash
 * its parent names before it is used or cached, as NodeReader does.
 */
export class PastNodeReader implements TreeNodeSource {
  readonly store: NodeStore;
  /** The nodes read most often (the top levels of recent heights), decoded: a hit allocates nothing. */
  readonly decoded: DecodedNodeCache;
  /** The many more read once in a while, as packed records (decoded when asked for). */
  readonly cache: PastNodeCache;
  readonly hot: NodeCache | undefined;

  /** `maxBytes` is shared: a quarter for decoded nodes, the rest packed. */
  constructor(store: NodeStore, maxBytes: number, hot?: NodeCache) {
    this.store = store;
    this.decoded = new DecodedNodeCache(Math.floor(maxBytes / 4));
    this.cache = new PastNodeCache(maxBytes - this.decoded.maxBytes);
    this.hot = hot;
  }

  node(version: number, depth: number, path: Uint8Array, hash: Uint8Array): InternalNode {
    const key = nodeKey(version, depth, path);
    const id = cacheId(key);
    const cached = this.decoded.get(id) ?? this.hot?.peek(id);
    if (cached !== undefined) return cached;
    const packed = this.cache.get(id);
    if (packed !== undefined) {
      this.decoded.set(id, packed, MAX_NODE_RECORD_BYTES);
      return packed;
    }
    const { node, record } = readCheckedNode(this.store, key, { version, depth, hash });
    this.cache.set(id, record);
    return node;
  }

  rootAt(version: number): Ref | undefined {
    return readRoot(this.store, version);
  }
}

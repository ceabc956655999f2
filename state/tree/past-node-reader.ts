import type { NodeCache } from "./node-cache.ts";
import { type InternalNode, nodeKey, type Ref } from "./node-codec.ts";
import { cacheId, type NodeStore, readCheckedNode, readRoot, type TreeNodeSource } from "./node-reader.ts";
import { PastNodeCache } from "./past-node-cache.ts";

/**
 * Reads the trees of heights below the latest, for proofs. A node is looked for in the hot-node cache first,
 * without marking it used (NodeCache.peek): nodes are immutable by key, so an unchanged subtree's nodes are
 * the same at every height that still has them, and sharing them costs execution nothing (proofs cannot
 * change what the hot cache evicts). Else in this reader's own compact cache, else on disk, where each record
 * is checked against the hash its parent names before it is used or cached, as NodeReader does.
 */
export class PastNodeReader implements TreeNodeSource {
  readonly store: NodeStore;
  readonly cache: PastNodeCache;
  readonly hot: NodeCache | undefined;

  constructor(store: NodeStore, cache: PastNodeCache, hot?: NodeCache) {
    this.store = store;
    this.cache = cache;
    this.hot = hot;
  }

  node(version: number, depth: number, path: Uint8Array, hash: Uint8Array): InternalNode {
    const key = nodeKey(version, depth, path);
    const id = cacheId(key);
    const cached = this.hot?.peek(id) ?? this.cache.get(id);
    if (cached !== undefined) return cached;
    const { node, record } = readCheckedNode(this.store, key, { version, depth, hash });
    this.cache.set(id, record);
    return node;
  }

  rootAt(version: number): Ref | undefined {
    return readRoot(this.store, version);
  }
}

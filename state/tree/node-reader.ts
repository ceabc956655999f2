import { NodeCache } from "./node-cache.ts";
import { equalBytes, shortBytesId } from "../../crypto/bytes.ts";
import {
  decodeNode,
  decodeRef,
  innerHash,
  type InternalNode,
  nodeId,
  NODE_KEY_DEPTH_BYTE,
  nodeKey,
  nodeRecordKey,
  type Ref,
  rootRecordKey,
} from "./node-codec.ts";
import { TreeNodeMissingError } from "./errors.ts";

/**
 * Synchronous reads of stored records by their full LevelDB key (ChainDb.treeStore: classic-level's getSync).
 * Execution builds a block's tree inside one synchronous call, so its reads cannot await.
 */
export interface NodeStore {
  get(key: Uint8Array): Uint8Array | undefined;
}

/**
 * The cache's name for a node key (a Map key: one char per byte). Through shortBytesId, not a Buffer's latin1
 * string: a node key is 9-41 bytes, and at that size the Buffer wrapper and the native call cost ~1.4 us per
 * key against ~0.3-0.5 us (same-process script); a block that creates accounts looks up and remembers a few
 * dozen nodes per tx. The ids are the same strings either way.
 */
export function cacheId(key: Uint8Array): string {
  return shortBytesId(key);
}

/** What a proof walks: the internal node at a position, checked against its hash, and a height's root. */
export interface TreeNodeSource {
  node(version: number, depth: number, path: Uint8Array, hash: Uint8Array): InternalNode;
  /** The root of the tree after block `version`, or undefined if no root is stored for it. */
  rootAt(version: number): Ref | undefined;
}

/**
 * The node record of `key` (nodeKey) from disk, which must hash to `hash` (its parent's, or the root record's,
 * claim). Missing or mismatched means a damaged database.
 */
export function readCheckedNode(
  store: NodeStore,
  key: Uint8Array,
  at: { version: number; depth: number; hash: Uint8Array },
): { node: InternalNode; record: Uint8Array } {
  const { version, depth, hash } = at;
  const record = store.get(nodeRecordKey(key));
  if (record === undefined) {
    throw new TreeNodeMissingError(`the state tree node of height ${version} at depth ${depth} is missing from the database`);
  }
  const node = decodeNode(record);
  if (!equalBytes(innerHash(node.left, node.right), hash)) {
    throw new TreeNodeMissingError(
      `the state tree node of height ${version} at depth ${depth} does not hash to what its parent names`,
    );
  }
  return { node, record };
}

export function readRoot(store: NodeStore, version: number): Ref | undefined {
  const bytes = store.get(rootRecordKey(version));
  return bytes === undefined ? undefined : decodeRef(bytes);
}

/** Reads committed tree nodes and roots: through the hot-node cache, else from disk. */
export class NodeReader implements TreeNodeSource {
  readonly store: NodeStore;
  readonly cache: NodeCache;

  constructor(store: NodeStore, cache = new NodeCache()) {
    this.store = store;
    this.cache = cache;
  }

  /**
   * The internal node written at `version` at this position, which must hash to `hash` (its parent's, or the
   * root record's, claim): a node read from disk is checked once, before it is used or cached, so a damaged
   * record (a flipped child hash, a leaf's path) is refused, not read as a different tree (a present key seen
   * as absent would execute as a new account). Missing or mismatched means a damaged database.
   */
  node(version: number, depth: number, path: Uint8Array, hash: Uint8Array): InternalNode {
    const id = nodeId(version, depth, path);
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    const key = nodeKey(version, depth, path);
    const { node, record } = readCheckedNode(this.store, key, { version, depth, hash });
    this.cache.set(id, depth, record, node); // a record read from disk is its own array: its views may be kept
    return node;
  }

  /**
   * The cached record of the node at this position if the cache holds it packed, else undefined (then node()
   * reads it). A view into the cache's chunk, already checked when it was added: walk it, do not keep it.
   */
  cachedRecord(version: number, depth: number, path: Uint8Array): Uint8Array | undefined {
    return this.cache.packs(depth) ? this.cache.packedRecord(nodeId(version, depth, path)) : undefined;
  }

  rootAt(version: number): Ref | undefined {
    return readRoot(this.store, version);
  }

  /** Caches a node just committed, by its nodeKey and record (the next block reads the same paths again). */
  remember(key: Uint8Array, record: Uint8Array): void {
    this.cache.set(cacheId(key), key[NODE_KEY_DEPTH_BYTE], record);
  }
}

import { NodeCache } from "./node-cache.ts";
import { equalBytes } from "../../crypto/bytes.ts";
import {
  decodeNode,
  decodeRef,
  innerHash,
  type InternalNode,
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

/** The cache's name for a node key (a Map key: one char per byte). */
export function cacheId(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
}

/** Reads committed tree nodes and roots: through the hot-node cache, else from disk. */
export class NodeReader {
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
    const key = nodeKey(version, depth, path);
    const id = cacheId(key);
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    const bytes = this.store.get(nodeRecordKey(key));
    if (bytes === undefined) {
      throw new TreeNodeMissingError(
        `the state tree node of height ${version} at depth ${depth} is missing from the database`,
      );
    }
    const node = decodeNode(bytes);
    if (!equalBytes(innerHash(node.left, node.right), hash)) {
      throw new TreeNodeMissingError(
        `the state tree node of height ${version} at depth ${depth} does not hash to what its parent names`,
      );
    }
    this.cache.set(id, node, bytes.byteLength);
    return node;
  }

  /** The root of the tree after block `version`, or undefined if no root is stored for it. */
  rootAt(version: number): Ref | undefined {
    const bytes = this.store.get(rootRecordKey(version));
    return bytes === undefined ? undefined : decodeRef(bytes);
  }

  /** Caches a node just committed (the next block reads the same paths again). */
  remember(key: Uint8Array, node: InternalNode, recordBytes: number): void {
    this.cache.set(cacheId(key), node, recordBytes);
  }
}

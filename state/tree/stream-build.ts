import { compareBytes } from "../../crypto/bytes.ts";
import {
  bit,
  encodeNode,
  encodeRef,
  innerHash,
  leafRef,
  nodeKey,
  nodeRecordKey,
  type Ref,
  refHash,
  rootRecordKey,
} from "./node-codec.ts";
import type { TreePut } from "./versioned-tree.ts";

/**
 * Builds a whole tree (a streamed genesis's height 0) from entries in ascending path order, writing its
 * records as it goes: memory is one pending subtree per depth (at most 257) plus one output batch, where
 * `VersionedTree.candidate` holds every entry and every new node. It writes the same records, in the same
 * order (post-order nodes, then the root record), as a candidate on the empty tree would.
 */

/** The most records handed to `write` at once: one LevelDB batch of bounded size. */
export const STREAM_BUILD_BATCH_RECORDS = 10_000;

/** The stream's paths must be strictly ascending (sorted, distinct): the builder cannot reorder them. */
export class UnsortedStreamError extends Error {
  override name = "UnsortedStreamError";
}

/**
 * A complete subtree waiting for its parent. `depth` is where its root node sits (the node's key depth; for a
 * leaf it does not matter: a single entry collapses to its leaf at any position). `parentDepth`, once known,
 * is the depth of the node it is the left (bit 0) child of; the subtree has then been wrapped up to it.
 */
interface Pending {
  ref: Ref;
  path: Uint8Array;
  depth: number;
  parentDepth: number;
}

/** The number of leading bits two distinct paths share. */
function commonBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ^ b[i];
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return a.length * 8;
}

class StreamBuilder {
  readonly version: number;
  readonly write: (ops: TreePut[]) => Promise<void>;
  private batch: TreePut[] = [];

  constructor(version: number, write: (ops: TreePut[]) => Promise<void>) {
    this.version = version;
    this.write = write;
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.batch.push({ type: "put", key, value });
    if (this.batch.length >= STREAM_BUILD_BATCH_RECORDS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const ops = this.batch;
    this.batch = [];
    await this.write(ops);
  }

  private async newNode(depth: number, path: Uint8Array, left: Ref, right: Ref): Promise<Ref> {
    await this.put(nodeRecordKey(nodeKey(this.version, depth, path)), encodeNode({ left, right }));
    return { kind: 2, version: this.version, hash: innerHash(left, right) };
  }

  /**
   * Raises a subtree to sit at `position`: a node with >= 2 entries gets one parent per depth above it (the
   * compact tree keeps a node with one empty side over a subtree of two or more), a leaf stays itself.
   */
  async raise(p: Pending, position: number): Promise<Ref> {
    let ref = p.ref;
    if (ref === null || ref.kind === 1) return ref;
    for (let d = p.depth - 1; d >= position; d--) {
      ref = bit(p.path, d) === 0 ? await this.newNode(d, p.path, ref, null) : await this.newNode(d, p.path, null, ref);
    }
    return ref;
  }

  /** Joins the top subtree, as the right child, to the one below it (already raised, the left child). */
  async mergeTop(stack: Pending[]): Promise<void> {
    const right = stack.pop() as Pending;
    const left = stack.pop() as Pending;
    const d = left.parentDepth;
    const rightRef = await this.raise(right, d + 1);
    const ref = await this.newNode(d, left.path, left.ref, rightRef);
    stack.push({ ref, path: left.path, depth: d, parentDepth: -1 });
  }
}

/**
 * Writes the tree of `entries` at `version` (node records, inline leaves with valueVersion = version, and
 * the version's root record) through `write`, in batches of at most STREAM_BUILD_BATCH_RECORDS, and returns
 * its root hash. Throws UnsortedStreamError if a path is not above the one before it.
 */
export async function buildTreeStreaming(
  entries: AsyncIterable<{ path: Uint8Array; valueHash: Uint8Array }>,
  version: number,
  write: (ops: TreePut[]) => Promise<void>,
): Promise<Uint8Array> {
  const b = new StreamBuilder(version, write);
  // Left children whose parents are still open, deepest on top; their parentDepth strictly increases upward.
  const stack: Pending[] = [];
  let previous: Uint8Array | undefined;
  for await (const e of entries) {
    if (previous !== undefined) {
      if (compareBytes(previous, e.path) >= 0) throw new UnsortedStreamError("the streamed tree entries are not in strictly ascending path order");
      // `previous` and the new path part at bit `split`: every open node deeper than it is now complete.
      const split = commonBits(previous, e.path);
      while (stack.length >= 2 && stack[stack.length - 2].parentDepth > split) await b.mergeTop(stack);
      const top = stack[stack.length - 1];
      top.ref = await b.raise(top, split + 1);
      top.depth = split + 1;
      top.parentDepth = split;
    }
    stack.push({ ref: leafRef(e.path, e.valueHash, version), path: e.path, depth: 256, parentDepth: -1 });
    previous = e.path;
  }
  while (stack.length >= 2) await b.mergeTop(stack);
  const root = stack.length === 0 ? null : await b.raise(stack[0], 0);
  await b.put(rootRecordKey(version), encodeRef(root));
  await b.flush();
  return refHash(root);
}

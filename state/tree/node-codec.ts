import { u64be, writeU64be } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { BUCKET, bucketKey } from "../store/buckets.ts";
import { TreeNodeMissingError } from "./errors.ts";

/**
 * How tree nodes are named and stored (docs/state-tree.md). The tree is the compact binary sparse Merkle tree
 * of state/smt.ts; on disk, each INTERNAL node is one LevelDB record keyed, as in Jellyfish, by the version
 * (height) that wrote it and its position (depth and path prefix), so a new height writes new nodes only
 * along the paths it changed and every older height's nodes stay readable. Leaves are not records of their
 * own: a leaf is stored inside its parent's record (its path and value hash), so a change costs one record
 * less per path, and the root of each height is a small record of its own (it may be a leaf or empty).
 */

export const EMPTY_HASH = new Uint8Array(32);
export const LEAF_TAG = Uint8Array.of(0);
export const INNER_TAG = Uint8Array.of(1);

export const KIND_EMPTY = 0;
export const KIND_LEAF = 1;
export const KIND_NODE = 2;

export interface LeafRef {
  readonly kind: 1;
  readonly path: Uint8Array;
  readonly valueHash: Uint8Array;
  /**
   * The height that wrote this value (not hashed: the tree's definition has no versions): its history entry
   * is at (key, valueVersion), so a proof reads the value with one point read instead of a seek.
   */
  readonly valueVersion: number;
  /** sha256(0x00 || path || valueHash) */
  readonly hash: Uint8Array;
}

export interface NodeRef {
  readonly kind: 2;
  /** The height that wrote the node: with the node's position, its key. */
  readonly version: number;
  readonly hash: Uint8Array;
}

/** A child (or root): nothing (an empty subtree), a leaf (a subtree with one entry), or an internal node. */
export type Ref = null | LeafRef | NodeRef;

/** An internal node: a subtree with at least two entries. */
export interface InternalNode {
  readonly left: Ref;
  readonly right: Ref;
}

export function bit(path: Uint8Array, depth: number): number {
  return (path[depth >> 3] >> (7 - (depth & 7))) & 1;
}

/**
 * A leaf whose hash is computed when first asked for: a decoded node's leaves are mostly passed through
 * (a path that ends there, a proof's own leaf), and a cache miss then costs no sha256 per leaf.
 */
class Leaf implements LeafRef {
  readonly kind = KIND_LEAF;
  readonly path: Uint8Array;
  readonly valueHash: Uint8Array;
  readonly valueVersion: number;
  private memo: Uint8Array | undefined;

  constructor(path: Uint8Array, valueHash: Uint8Array, valueVersion: number) {
    this.path = path;
    this.valueHash = valueHash;
    this.valueVersion = valueVersion;
  }

  get hash(): Uint8Array {
    this.memo ??= sha256(LEAF_TAG, this.path, this.valueHash);
    return this.memo;
  }
}

export function leafRef(path: Uint8Array, valueHash: Uint8Array, valueVersion: number): LeafRef {
  return new Leaf(path, valueHash, valueVersion);
}

export function refHash(ref: Ref): Uint8Array {
  return ref === null ? EMPTY_HASH : ref.hash;
}

export function innerHash(left: Ref, right: Ref): Uint8Array {
  return sha256(INNER_TAG, refHash(left), refHash(right));
}

/**
 * The key of an internal node without its bucket byte: u64 BE version || u8 depth || the path's first
 * ceil(depth / 8) bytes, bits from `depth` on set to zero. Sorting by version first keeps each height's
 * writes together, as Jellyfish's NodeKey does.
 */
export function nodeKey(version: number, depth: number, path: Uint8Array): Uint8Array {
  const key = new Uint8Array(9 + ((depth + 7) >> 3));
  writeNodeKey(key, 0, version, depth, path);
  return key;
}

/** Where a node key holds its depth (after the u64 version). */
export const NODE_KEY_DEPTH_BYTE = 8;

/** The longest node key: a 256-bit path's version, depth and 32 path bytes. */
export const MAX_NODE_KEY_BYTES = 9 + 32;

/** Writes nodeKey(version, depth, path) into `out` at `at`; returns where it ends. */
export function writeNodeKey(out: Uint8Array, at: number, version: number, depth: number, path: Uint8Array): number {
  const n = (depth + 7) >> 3;
  writeU64be(out, at, version);
  out[at + NODE_KEY_DEPTH_BYTE] = depth;
  // Byte by byte, not set(path.subarray(...)): the subarray is one more object per key, and a block that
  // creates accounts names a few dozen nodes per tx.
  for (let i = 0; i < n; i++) out[at + 9 + i] = path[i];
  if ((depth & 7) !== 0) out[at + 8 + n] &= (0xff00 >> (depth & 7)) & 0xff;
  return at + 9 + n;
}

/** nodeId's code units, reused: one array for every call (the id is built on the main thread, synchronously). */
const idUnits: number[] = [];

/**
 * The hot-node cache's name for a node (node-reader.ts cacheId(nodeKey(version, depth, path)): one UTF-16 unit
 * per key byte), written straight from the position: a cache hit then allocates only the string, not the key
 * array. A block that creates accounts looks up about 2 x 16 nodes per new account (its absence check and its
 * insertion), nearly all hits.
 */
export function nodeId(version: number, depth: number, path: Uint8Array): string {
  const n = (depth + 7) >> 3;
  idUnits.length = 9 + n;
  writeU64be(idUnits, 0, version);
  idUnits[8] = depth;
  for (let i = 0; i < n; i++) idUnits[9 + i] = path[i];
  if ((depth & 7) !== 0) idUnits[8 + n] &= (0xff00 >> (depth & 7)) & 0xff;
  return String.fromCharCode.apply(null, idUnits);
}

/** A leaf ref: kind, path, value hash, value version. */
const LEAF_REF_BYTES = 73;
/** A node ref: kind, version, hash. */
const NODE_REF_BYTES = 41;

/** A big-endian u64 (a height: below 2^53) at `at`, without a DataView per call. */
function readU64(bytes: Uint8Array, at: number): number {
  const high = ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
  const low = ((bytes[at + 4] << 24) | (bytes[at + 5] << 16) | (bytes[at + 6] << 8) | bytes[at + 7]) >>> 0;
  return high * 2 ** 32 + low;
}

export function nodeRecordKey(key: Uint8Array): Uint8Array {
  return bucketKey(BUCKET.treeNode, key);
}

/** The longest node record key: the bucket byte and the longest node key. */
export const MAX_NODE_RECORD_KEY_BYTES = 1 + MAX_NODE_KEY_BYTES;

/** Writes nodeRecordKey(nodeKey(version, depth, path)) into `out` at `at`; returns where it ends. */
export function writeNodeRecordKey(
  out: Uint8Array,
  at: number,
  version: number,
  depth: number,
  path: Uint8Array,
): number {
  out[at] = BUCKET.treeNode;
  return writeNodeKey(out, at + 1, version, depth, path);
}

export function rootRecordKey(version: number): Uint8Array {
  return bucketKey(BUCKET.treeRoot, u64be(version));
}

function refSize(ref: Ref): number {
  return ref === null ? 1 : ref.kind === KIND_LEAF ? LEAF_REF_BYTES : NODE_REF_BYTES;
}

function writeRef(out: Uint8Array, at: number, ref: Ref): number {
  if (ref === null) {
    out[at] = KIND_EMPTY;
    return at + 1;
  }
  if (ref.kind === KIND_LEAF) {
    out[at] = KIND_LEAF;
    out.set(ref.path, at + 1);
    out.set(ref.valueHash, at + 33);
    writeU64be(out, at + 65, ref.valueVersion);
    return at + LEAF_REF_BYTES;
  }
  out[at] = KIND_NODE;
  writeU64be(out, at + 1, ref.version);
  out.set(ref.hash, at + 9);
  return at + 41;
}

/**
 * A node ref read from a record, and a node decoded from one: class instances, not object literals, because V8
 * pretenures a literal's allocation site (allocates it straight in the old generation) once most of what it
 * made outlived a scavenge, and these sites serve both long-lived nodes (the decoded tier's, read from disk)
 * and the many that die young (a block's tree build decodes a few dozen per new account). Pretenured, the
 * young ones' fields were kept alive by them until a full GC and promoted: a new-accounts node promoted
 * ~2 KB of such copies per tx more than with pretenuring off.
 */
class StoredNodeRef implements NodeRef {
  readonly kind = KIND_NODE;
  readonly version: number;
  readonly hash: Uint8Array;

  constructor(version: number, hash: Uint8Array) {
    this.version = version;
    this.hash = hash;
  }
}

class StoredNode implements InternalNode {
  readonly left: Ref;
  readonly right: Ref;

  constructor(left: Ref, right: Ref) {
    this.left = left;
    this.right = right;
  }
}

/**
 * Reads the ref at `at` (refBytesAt checked that it is one). `copy`: its fields are copies, not views into
 * `bytes` (so that what keeps the ref does not keep all of `bytes`).
 */
function readRef(bytes: Uint8Array, at: number, copy: boolean): Ref {
  const kind = bytes[at];
  if (kind === KIND_EMPTY) return null;
  if (kind === KIND_LEAF) {
    // Views into a record read fresh from disk (never reused): no copy, no ArrayBuffer per field.
    const path = copy ? bytes.slice(at + 1, at + 33) : bytes.subarray(at + 1, at + 33);
    const valueHash = copy ? bytes.slice(at + 33, at + 65) : bytes.subarray(at + 33, at + 65);
    return leafRef(path, valueHash, readU64(bytes, at + 65));
  }
  const hash = copy ? bytes.slice(at + 9, at + 41) : bytes.subarray(at + 9, at + 41);
  return new StoredNodeRef(readU64(bytes, at + 1), hash);
}

// Reading a node record in place, for a lookup that only walks it (VersionedTree.lookup): decoding it would
// make a node, two refs and up to four 32-byte copies, and at a few dozen nodes per new account (its absence
// checked) that was the largest share of a new-accounts node's promoted bytes.

/**
 * Where the child on `side` (0: left, 1: right) of the node record `record` begins. The walk checks only the
 * refs it steps through, not the sibling or trailing bytes as decodeNode does: it reads records the cache
 * holds, each checked against its parent's hash when it was read from disk, or built by the encoder.
 */
export function childAt(record: Uint8Array, side: number): number {
  return side === 0 ? 0 : refBytesAt(record, 0);
}

/** The kind of the ref at `at` (KIND_EMPTY, KIND_LEAF or KIND_NODE); throws on bytes that are not a ref. */
export function refKindAt(record: Uint8Array, at: number): number {
  refBytesAt(record, at);
  return record[at];
}

/** The version of the node ref at `at` (refKindAt: KIND_NODE). */
export function nodeVersionAt(record: Uint8Array, at: number): number {
  return readU64(record, at + 1);
}

/**
 * The value hash of the leaf ref at `at` (a copy) if the leaf is the one at `path` (a tree path: 32 bytes, as
 * a leaf's), else undefined.
 */
export function leafValueHashAt(record: Uint8Array, at: number, path: Uint8Array): Uint8Array | undefined {
  for (let i = 0; i < 32; i++) if (record[at + 1 + i] !== path[i]) return undefined;
  return record.slice(at + 33, at + 65);
}

/** The hash of the node ref at `at` (refKindAt: KIND_NODE): a view, to check a record read from disk against. */
export function nodeHashAt(record: Uint8Array, at: number): Uint8Array {
  return record.subarray(at + 9, at + 41);
}

/** The size of the ref at `at`; throws on bytes that are not a ref. */
function refBytesAt(bytes: Uint8Array, at: number): number {
  const kind = bytes[at];
  const size = kind === KIND_EMPTY ? 1 : kind === KIND_LEAF ? LEAF_REF_BYTES : kind === KIND_NODE ? NODE_REF_BYTES : 0;
  if (size === 0 || at + size > bytes.byteLength) {
    throw new TreeNodeMissingError(`a tree record does not decode (kind ${kind} at byte ${at})`);
  }
  return size;
}

export function encodeRef(ref: Ref): Uint8Array {
  const out = new Uint8Array(refSize(ref));
  writeRef(out, 0, ref);
  return out;
}

export function decodeRef(bytes: Uint8Array): Ref {
  if (refBytesAt(bytes, 0) !== bytes.byteLength) throw new TreeNodeMissingError("a tree root record has trailing bytes");
  return readRef(bytes, 0, false);
}

/** The longest internal node record: two leaf refs. */
export const MAX_NODE_RECORD_BYTES = 2 * LEAF_REF_BYTES;

/** Writes the record of the internal node (left, right) into `out` at `at`; returns where it ends. */
export function writeNodeRecord(out: Uint8Array, at: number, left: Ref, right: Ref): number {
  return writeRef(out, writeRef(out, at, left), right);
}

/** An internal node's record: its left ref then its right ref (1, 41 or 73 bytes each). */
export function encodeNode(node: InternalNode): Uint8Array {
  const out = new Uint8Array(refSize(node.left) + refSize(node.right));
  writeRef(out, writeRef(out, 0, node.left), node.right);
  return out;
}

/**
 * The internal node of a record. Its refs are views into `bytes` (a record read from disk is its own array),
 * or with `copy`, copies of their fields (a record inside a larger buffer that should not be kept whole).
 */
export function decodeNode(bytes: Uint8Array, copy = false): InternalNode {
  const mid = refBytesAt(bytes, 0);
  if (mid + refBytesAt(bytes, mid) !== bytes.byteLength) {
    throw new TreeNodeMissingError("a tree node record has trailing bytes");
  }
  return new StoredNode(readRef(bytes, 0, copy), readRef(bytes, mid, copy));
}

/** The number of leaves stored inline in a node (what its decoding hashed, and holds in memory). */
export function inlineLeaves(node: InternalNode): number {
  return (node.left?.kind === KIND_LEAF ? 1 : 0) + (node.right?.kind === KIND_LEAF ? 1 : 0);
}

import { u64be, utf8, writeU64be } from "../../crypto/bytes.ts";

/**
 * LevelDB key layout. One byte per bucket; numbers are 8-byte big-endian so keys sort by height.
 * Never reuse a retired bucket byte.
 */
export const BUCKET = {
  /** Height -> Block (canonical bytes) */
  block: 0x62, // 'b'
  /** Height -> BlockMeta { hash, commit, numTxs } */
  blockMeta: 0x6d, // 'm'
  /**
   * Height -> the block's canonical header bytes (their sha256 is the block hash): a header read without its
   * block, ~400 bytes where the block may be megabytes. Absent for blocks committed by versions before it
   * (those reads read the block).
   */
  blockHeader: 0x48, // 'H'
  /**
   * Height -> the block's own events (staking's slashes, jails and completed unbondings, expired inferences,
   * validator set changes), as a TxResult with code 0; absent when it had none.
   */
  blockEvents: 0x65, // 'e'
  /**
   * Height -> the block's read check, written with it (state/store/block-check.ts): sha256(rest) ||
   * sha256(block bytes) || sha256(BlockMeta bytes) || u32 BE size. Raw bytes are served and metadata checked
   * against it without decoding the block. Absent for blocks committed by versions before it (those reads
   * decode the block).
   */
  blockCheck: 0x63, // 'c'
  /**
   * Height -> the block's tx check: sha256(rest) || u32 BE tx count || each tx's hash || each tx result's
   * merkle leaf hash. A tx lookup checks its place and result against it. Absent like the block check.
   */
  txCheck: 0x69, // 'i'
  /** Block hash -> height */
  blockByHash: 0x78, // 'x'
  /** Tx hash -> TxRecord { height, index, tx, result } */
  tx: 0x74, // 't'
  /**
   * Search index (state/store/tx-index.ts): kind || u16 length || term || u64 height || u32 position -> empty.
   * Written with the block in its batch when [index] is enabled; a range scan under one term is in height order.
   */
  txIndex: 0x71, // 'q' (query)
  /** State key -> latest value */
  stateLatest: 0x73, // 's'
  /** u16 key length || state key || height -> 0x01 || value, or 0x00 if deleted at that height */
  stateHistory: 0x68, // 'h'
  /**
   * State tree internal node (state/tree/node-codec.ts): u64 BE version || u8 depth || path prefix -> the
   * node's two child refs. Written by the height `version`, never rewritten; deleted by pruning.
   */
  treeNode: 0x6e, // 'n'
  /** Height -> the ref of that height's tree root (empty, a leaf, or an internal node's version and hash) */
  treeRoot: 0x72, // 'r'
  /**
   * u64 BE height || u32 BE chunk -> what the block at `height` made stale (state/tree/stale-log.ts): the keys
   * of the tree nodes it replaced and the state keys whose older history versions it superseded. Pruning
   * reads these to delete what no retained height needs.
   */
  treeStale: 0x7a, // 'z'
  /**
   * Tree path -> value hash of each state key a streamed genesis writes, kept only while it is written: in
   * path order, so the tree of height 0 is built in one pass (state/tree/stream-build.ts); deleted after.
   */
  genesisTreeEntries: 0x67, // 'g'
  /** 'latest' -> latest committed height; 'chain' -> chain id and genesis hash */
  meta: 0x4d, // 'M'
} as const;

export function bucketKey(bucket: number, ...parts: Uint8Array[]): Uint8Array {
  // One allocation per key (a block's commit makes one per tx record, history entry and index key): the
  // bucket byte is written in place rather than as a one-byte array concatenated in front.
  let length = 1;
  for (const p of parts) length += p.byteLength;
  const key = new Uint8Array(length);
  key[0] = bucket;
  let at = 1;
  for (const p of parts) {
    key.set(p, at);
    at += p.byteLength;
  }
  return key;
}

/** bucketKey(bucket, part) for the per-tx keys (a tx's hash): no rest-parameter array per call. */
export function bucketKeyOf(bucket: number, part: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + part.byteLength);
  key[0] = bucket;
  key.set(part, 1);
  return key;
}

export function heightKey(bucket: number, height: number): Uint8Array {
  return bucketKey(bucket, u64be(height));
}

/** The history key prefix of one state key: its versions sort by height under it. */
export function historyPrefix(stateKey: Uint8Array): Uint8Array {
  const len = Uint8Array.of(stateKey.byteLength >> 8, stateKey.byteLength & 0xff);
  return bucketKey(BUCKET.stateHistory, len, stateKey);
}

/** historyPrefix(stateKey) || u64 BE height, in one array (one per state write of every block). */
export function historyKey(stateKey: Uint8Array, height: number): Uint8Array {
  const n = stateKey.byteLength;
  const key = new Uint8Array(3 + n + 8);
  key[0] = BUCKET.stateHistory;
  key[1] = n >> 8;
  key[2] = n & 0xff;
  key.set(stateKey, 3);
  writeU64be(key, 3 + n, height);
  return key;
}

/** The meta key of the latest committed height (u64 BE). */
export const LATEST_HEIGHT_KEY = bucketKey(BUCKET.meta, utf8("latest"));

/** The first key after every key that starts with `prefix` (prefix + 1 at its last byte below 0xff). */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = prefix.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  throw new Error("a prefix of only 0xff bytes has no end");
}

/**
 * The block store: blocks, their metadata (hash and commit), the block-by-hash index, the read checks stored
 * with each block (digests, tx hashes, result leaves), block events and tx records; and the reads that prove
 * what they serve is what was committed. It writes nothing itself: `putBlock` puts a block's records into the
 * caller's batch, so a block and the state it changed land in ONE atomic batch (ChainDb.commitBlock).
 */
import type { Level } from "level";
import { equalBytes, readU64be, toHex, u64be } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { merkleLeaf } from "../../crypto/merkle.ts";
import {
  type Block,
  blockHash,
  type BlockMeta,
  blockTxHashes,
  bodyMismatch,
  decodeBlock,
  decodeBlockMeta,
  decodeHeader,
  encodeBlockMeta,
  encodeHeader,
  type Commit,
  type Header,
  knownTxHashes,
} from "../../proto/block.ts";
import {
  decodeTxRecord,
  encodeTxRecord,
  encodeTxRecordInto,
  encodeTxResult,
  decodeTxResult,
  type TxEvent,
  type TxRecord,
  type TxResult,
} from "../../proto/records.ts";
import {
  type BlockCheck,
  decodeBlockCheck,
  decodeTxCheck,
  encodeBlockCheck,
  encodeTxCheck,
  type TxCheck,
} from "./block-check.ts";
import type { BatchSink } from "./batch-sink.ts";
import { BUCKET, bucketKey, bucketKeyOf, heightKey } from "./buckets.ts";
import { BlockStoreCorruptError, corrupt, decodedChecked, readChecked } from "./checked-reads.ts";

/** Tx checks kept decoded (each up to 64 bytes per tx of its block). */
const TX_CHECK_CACHE = 8;

/**
 * Where a block's tx records are encoded, each in turn over the last, for a batch that copies each put: a
 * transfer's record is ~450 bytes, and a larger one (a big module tx) gets an array of its own.
 */
const recordScratch = new Uint8Array(16 * 1024);

/**
 * Blocks kept whole, decoded and as bytes, once a read has checked them: the RECENT_BLOCKS used last. Every
 * follower of the chain (a WebSocket `blocks` subscriber's chain_getBlock, an explorer) reads the block just
 * committed, and each such read was a LevelDB read, a decode and the body's check against its header (a hash
 * per tx and the merkle root): ~3% of a loaded lone validator's main thread per follower. Now only the first
 * follower's read costs that. Not the block as committed: keeping each committed block's objects two heights
 * longer raised a 4-validator devnet's peak RSS by 15-25 MB per node (2,000 tx/s, two pairs against the code
 * before), where only a node with followers gains. (Block sync reads bytes against their digest, which
 * decodes nothing: getBlockBytes, served from here only when a block was kept.)
 */
const RECENT_BLOCKS = 2;

/**
 * Recently read blocks' tx hashes, by height, for blocks stored before their tx checks were: a tx lookup
 * checks its position without decoding such a block again.
 */
const TX_HASH_CACHE_HEIGHTS = 16;

/**
 * Heights below the latest whose block keys start-up checks for gaps. Walking every height took minutes on a
 * long chain; a block lost further down is refused when read (`absent`: a missing height at or below the
 * latest is damage, never "no such block").
 */
export const GAP_CHECK_HEIGHTS = 1000;

/** A committed block as the block store keeps it. */
export interface StoredBlock {
  height: number;
  block: Block;
  blockBytes: Uint8Array;
  meta: BlockMeta;
  /** What beginBlock and endBlock did (stored for queries; no root commits to them). */
  blockEvents?: TxEvent[];
  /**
   * Transactions as stored in the block, with their hashes and encoded results, in block order; `resultLeaf`
   * is merkleLeaf(resultBytes) when the caller has it (execution hashed it for the results root).
   */
  txs: { hash: Uint8Array; bytes: Uint8Array; resultBytes: Uint8Array; resultLeaf?: Uint8Array }[];
}

export class BlockStore {
  private readonly db: Level<Uint8Array, Uint8Array>;
  /** The chain's latest committed height (ChainDb's marker): a block missing at or below it is damage. */
  private readonly latestHeight: () => Promise<number | undefined>;
  private readonly txHashesAt = new Map<number, readonly Uint8Array[]>();
  /** RECENT_BLOCKS blocks read and checked, newest last (a height's block never changes once committed). */
  private readonly recent = new Map<number, { block: Block; bytes: Uint8Array }>();
  /** Recently read tx checks by height (a committed block's never changes). */
  private readonly txChecks = new Map<number, TxCheck>();

  constructor(db: Level<Uint8Array, Uint8Array>, latestHeight: () => Promise<number | undefined>) {
    this.db = db;
    this.latestHeight = latestHeight;
  }

  /** Puts the records of block `c.height` into `batch`: the one batch that also writes the state it changed. */
  putBlock(c: StoredBlock, batch: BatchSink): void {
    batch.put(heightKey(BUCKET.block, c.height), c.blockBytes);
    batch.put(heightKey(BUCKET.blockHeader, c.height), encodeHeader(c.block.header));
    const metaBytes = encodeBlockMeta(c.meta);
    batch.put(heightKey(BUCKET.blockMeta, c.height), metaBytes);
    batch.put(bucketKey(BUCKET.blockByHash, c.meta.hash), u64be(c.height));
    // The result leaves are those of the header's resultsRoot, which execution checked for these bytes.
    const resultLeaves = c.txs.map((t) => t.resultLeaf ?? merkleLeaf(t.resultBytes));
    batch.put(heightKey(BUCKET.blockCheck, c.height), encodeBlockCheck(c.blockBytes, metaBytes));
    batch.put(heightKey(BUCKET.txCheck, c.height), encodeTxCheck(c.txs.map((t) => t.hash), resultLeaves));
    if (c.blockEvents !== undefined && c.blockEvents.length > 0) {
      batch.put(heightKey(BUCKET.blockEvents, c.height), encodeTxResult({ code: 0, log: "", events: c.blockEvents }));
    }
    // Into one scratch when the batch copies each put (no array per tx record), else an array each.
    const scratch = batch.copiesOnPut === true ? recordScratch : undefined;
    for (let i = 0; i < c.txs.length; i++) {
      const t = c.txs[i];
      const record: TxRecord = { height: c.height, index: i, tx: t.bytes, resultBytes: t.resultBytes };
      const bytes = scratch === undefined ? encodeTxRecord(record) : encodeTxRecordInto(record, scratch);
      batch.put(bucketKeyOf(BUCKET.tx, t.hash), bytes);
    }
  }

  private read(key: Uint8Array, what: string): Promise<Uint8Array | undefined> {
    return readChecked(this.db, key, what);
  }

  private decoded<T>(what: string, decode: () => T): T {
    return decodedChecked(what, decode);
  }

  /** A height at or below the latest must have its block: its absence is a lost block, not "no such block". */
  private async absent(height: number, what: string): Promise<undefined> {
    const latest = await this.latestHeight();
    if (latest !== undefined && height >= 1 && height <= latest) {
      throw corrupt(what, `it is missing though the chain is at height ${latest}`);
    }
    return undefined;
  }

  /**
   * The block at `height`, checked against its header and stored hash before it is served (see readBlock).
   * Shared with every other reader of a kept block (RECENT_BLOCKS): never changed by a caller.
   */
  async getBlock(height: number): Promise<Block | undefined> {
    return (await this.readBlock(height))?.block;
  }

  /**
   * The block's canonical bytes as stored (block sync serves them without re-encoding). They must match the
   * digest stored with them at commit (the receiving peer decodes and verifies them in full): one read and
   * one hash, no decode. A block committed before digests were stored is checked in full (readBlock).
   * Shared with every other reader of a kept block (RECENT_BLOCKS): never changed by a caller.
   */
  async getBlockBytes(height: number): Promise<Uint8Array | undefined> {
    const recent = this.recent.get(height);
    if (recent !== undefined) return recent.bytes;
    const check = await this.getBlockCheck(height);
    if (check === undefined) return (await this.readBlock(height))?.bytes;
    const what = `block ${height}`;
    const bytes = await this.read(heightKey(BUCKET.block, height), what);
    if (bytes === undefined) return this.absent(height, what);
    if (bytes.byteLength !== check.size || !equalBytes(sha256(bytes), check.digest)) {
      throw corrupt(what, "its bytes do not match the digest stored with it");
    }
    return bytes;
  }

  /**
   * Block `height`'s header as stored apart from its block (what proofs, light clients and block subscribers
   * need), with its hash and commit; proved the committed one: its bytes hash to the hash in the block's
   * metadata, which the commit signs. Undefined for a block committed before headers were stored apart (its
   * block has the header) or not committed here.
   */
  async getStoredHeader(height: number): Promise<{ header: Header; hash: Uint8Array; commit: Commit } | undefined> {
    const what = `the header of block ${height}`;
    const raw = await this.read(heightKey(BUCKET.blockHeader, height), what);
    if (raw === undefined) return undefined;
    const meta = await this.getBlockMeta(height);
    if (meta === undefined) throw corrupt(what, "its block's metadata (hash and commit) is missing");
    if (!equalBytes(sha256(raw), meta.hash)) throw corrupt(what, "it does not hash to the committed block hash");
    const header = this.decoded(what, () => decodeHeader(raw));
    if (header.height !== height) throw corrupt(what, `it says height ${header.height}`);
    return { header, hash: meta.hash, commit: meta.commit };
  }

  /** The size in bytes of the block at `height` as stored, without reading it; undefined if not recorded. */
  async blockSize(height: number): Promise<number | undefined> {
    return (await this.getBlockCheck(height))?.size;
  }

  /** The tx hashes and result leaves stored with a block (undefined for blocks from before they were). */
  private async getTxCheck(height: number): Promise<TxCheck | undefined> {
    const cached = this.txChecks.get(height);
    if (cached !== undefined) return cached;
    const what = `the tx check of block ${height}`;
    const raw = await this.read(heightKey(BUCKET.txCheck, height), what);
    if (raw === undefined) return undefined;
    const check = decodeTxCheck(raw);
    if (check === undefined) throw corrupt(what, "it fails its own checksum");
    // A search page reads many txs of few blocks: each block's check is read and hashed once, not per tx.
    if (this.txChecks.size >= TX_CHECK_CACHE) this.txChecks.delete(this.txChecks.keys().next().value as number);
    this.txChecks.set(height, check);
    return check;
  }

  /** The digests and size stored with a block (undefined for blocks from before they were). */
  private async getBlockCheck(height: number): Promise<BlockCheck | undefined> {
    const what = `the read check of block ${height}`;
    const raw = await this.read(heightKey(BUCKET.blockCheck, height), what);
    if (raw === undefined) return undefined;
    const check = decodeBlockCheck(raw);
    if (check === undefined) throw corrupt(what, "it fails its own checksum");
    return check;
  }

  /**
   * Reads a block and proves it is the one committed at `height`: its header hashes to the hash stored in its
   * metadata (which its commit signs), the header is at `height`, and its body (txs, last commit, evidence)
   * matches the header's roots. Anything else is a BlockStoreCorruptError: never a different block.
   */
  private async readBlock(height: number): Promise<{ block: Block; bytes: Uint8Array } | undefined> {
    const recent = this.recent.get(height);
    if (recent !== undefined) {
      this.keepRecent(height, recent.block, recent.bytes); // the most recently used now
      return recent;
    }
    const what = `block ${height}`;
    const [bytes, meta] = await Promise.all([
      this.read(heightKey(BUCKET.block, height), what),
      this.getBlockMeta(height),
    ]);
    if (bytes === undefined) return this.absent(height, what);
    if (meta === undefined) throw corrupt(what, "its metadata (hash and commit) is missing");
    const block = this.decoded(what, () => decodeBlock(bytes));
    if (block.header.height !== height) throw corrupt(what, `its header says height ${block.header.height}`);
    if (!equalBytes(blockHash(block.header), meta.hash)) {
      throw corrupt(what, `its header hashes to ${toHex(blockHash(block.header))}, not the committed ${toHex(meta.hash)}`);
    }
    const stored = await this.storedTxHashes(height, bytes, block.txs.length);
    if (stored !== undefined) knownTxHashes(block, stored);
    const mismatch = bodyMismatch(block);
    if (mismatch !== undefined) throw corrupt(what, mismatch);
    if (block.txs.length !== meta.numTxs) {
      throw corrupt(what, `its metadata counts ${meta.numTxs} txs, it has ${block.txs.length}`);
    }
    // Only a block stored without its tx check needs its hashes kept for getTx's place check; the others'
    // are in the check, and keeping 16 heights of them (~2,000 views a loaded height) for every block a
    // follower reads held ~30,000 objects in the old generation of a node with a WebSocket `blocks`
    // subscriber (a heap snapshot of the 4-validator bench's node 0, 2026-12-07), marked at every full GC.
    if (stored === undefined) this.rememberTxHashes(height, block);
    this.keepRecent(height, block, bytes);
    return { block, bytes };
  }

  /** Forgets every block, hash list and check kept (the database was emptied). */
  forget(): void {
    this.recent.clear();
    this.txHashesAt.clear();
    this.txChecks.clear();
  }

  private keepRecent(height: number, block: Block, bytes: Uint8Array): void {
    this.recent.delete(height);
    this.recent.set(height, { block, bytes });
    if (this.recent.size > RECENT_BLOCKS) this.recent.delete(this.recent.keys().next().value as number);
  }

  /**
   * The tx hashes commit stored with the block, when its bytes are exactly the ones committed (the digest
   * stored with them: one hash over the whole block instead of one sha256 call per tx, each mostly call
   * overhead). The body is still checked against the header's roots with them. Undefined when either record is
   * absent (an older block), damaged or does not fit: then the txs are hashed, as before.
   */
  private async storedTxHashes(height: number, bytes: Uint8Array, txs: number): Promise<Uint8Array[] | undefined> {
    try {
      const [blockCheck, txCheck] = await Promise.all([this.getBlockCheck(height), this.getTxCheck(height)]);
      if (blockCheck === undefined || txCheck === undefined || txCheck.count !== txs) return undefined;
      if (bytes.byteLength !== blockCheck.size || !equalBytes(sha256(bytes), blockCheck.digest)) return undefined;
      return txCheck.txHashes(); // plain views (decodeTxCheck), in an array of the caller's own
    } catch (err) {
      if (err instanceof BlockStoreCorruptError) return undefined;
      throw err;
    }
  }

  private rememberTxHashes(height: number, block: Block): void {
    this.txHashesAt.delete(height);
    this.txHashesAt.set(height, blockTxHashes(block));
    if (this.txHashesAt.size > TX_HASH_CACHE_HEIGHTS) {
      this.txHashesAt.delete(this.txHashesAt.keys().next().value as number);
    }
  }

  /**
   * The first run of heights among the last GAP_CHECK_HEIGHTS up to `latest` with no block or no metadata, as
   * [from, to], or undefined if every one is there. Reads keys only (no values), in order: one short pass at
   * start-up. Heights above `latest` that the node's own files show it committed are the caller's check.
   */
  async missingBlocks(latest: number): Promise<[number, number] | undefined> {
    try {
      return await this.firstGap(latest);
    } catch (err) {
      if ((err as { code?: string }).code === "LEVEL_CORRUPTION") {
        throw corrupt("the block index", (err as Error).message, err);
      }
      throw err;
    }
  }

  private async firstGap(latest: number): Promise<[number, number] | undefined> {
    const from = Math.max(1, latest - GAP_CHECK_HEIGHTS + 1);
    for (const bucket of [BUCKET.blockMeta, BUCKET.block]) {
      let expected = from;
      for await (const key of this.db.keys({ gte: heightKey(bucket, from), lte: heightKey(bucket, latest) })) {
        const height = readU64be(key, 1);
        if (height !== expected) return [expected, height - 1];
        expected++;
      }
      if (expected <= latest) return [expected, latest];
    }
    return undefined;
  }

  /** The hashes of block `height`'s txs in block order, from its checked tx check (or the block itself). */
  async txHashesOf(height: number): Promise<Uint8Array[] | undefined> {
    const check = await this.getTxCheck(height);
    if (check !== undefined) return check.txHashes();
    const block = await this.getBlock(height);
    return block === undefined ? undefined : blockTxHashes(block);
  }

  /** The events a block's own steps made (empty if none). */
  async getBlockEvents(height: number): Promise<TxEvent[]> {
    const what = `the events of block ${height}`;
    const raw = await this.read(heightKey(BUCKET.blockEvents, height), what);
    return raw === undefined ? [] : this.decoded(what, () => decodeTxResult(raw).events);
  }

  /**
   * A block's hash and commit; the commit must be for this height and this hash, and the record must match the
   * digest stored with the block (no header covers the commit's signatures).
   */
  async getBlockMeta(height: number): Promise<BlockMeta | undefined> {
    const what = `the metadata of block ${height}`;
    const raw = await this.read(heightKey(BUCKET.blockMeta, height), what);
    if (raw === undefined) return this.absent(height, what);
    const check = await this.getBlockCheck(height);
    if (check !== undefined && !equalBytes(sha256(raw), check.metaDigest)) {
      throw corrupt(what, "it does not match the digest stored with its block");
    }
    const meta = this.decoded(what, () => decodeBlockMeta(raw));
    if (meta.commit.height !== height || !equalBytes(meta.commit.blockHash, meta.hash)) {
      throw corrupt(what, "its commit is not for its block");
    }
    return meta;
  }

  /** The height of the block with this hash (checked against that height's stored hash). */
  async heightOfBlock(hash: Uint8Array): Promise<number | undefined> {
    const what = `the index entry of block ${toHex(hash)}`;
    const raw = await this.read(bucketKey(BUCKET.blockByHash, hash), what);
    if (raw === undefined) return undefined;
    if (raw.byteLength !== 8) throw corrupt(what, "it is not a height");
    const height = readU64be(raw);
    const meta = await this.getBlockMeta(height);
    if (meta === undefined || !equalBytes(meta.hash, hash)) throw corrupt(what, `block ${height} has another hash`);
    return height;
  }

  /**
   * A transaction by hash: its bytes must hash to the hash asked for, and (unless `checkPlace` is false) be
   * the tx at its recorded position in its (checked) block, with the result that block committed (its leaf in
   * the resultsRoot). Both are checked against the hashes stored with that block (self-checksummed); for a
   * block from before they were stored, only the place is, from the decoded block (recent heights cached).
   * The mempool's "already included?" question, which anyone can ask with old transactions, skips it.
   */
  async getTx(hash: Uint8Array, checkPlace = true): Promise<(TxRecord & { result: TxResult }) | undefined> {
    const what = `transaction ${toHex(hash)}`;
    const raw = await this.read(bucketKey(BUCKET.tx, hash), what);
    if (raw === undefined) return undefined;
    const record = this.decoded(what, () => decodeTxRecord(raw));
    if (!equalBytes(sha256(record.tx), hash)) throw corrupt(what, "its stored bytes hash to something else");
    if (!checkPlace) return record;
    const check = await this.getTxCheck(record.height);
    if (check !== undefined) {
      const atIndex = record.index < check.count ? check.txHashAt(record.index) : new Uint8Array(0);
      if (!equalBytes(atIndex, hash)) {
        throw corrupt(what, `it is not tx ${record.index} of block ${record.height}, as its record says`);
      }
      if (!equalBytes(merkleLeaf(record.resultBytes), check.resultHashAt(record.index))) {
        throw corrupt(what, `its result is not the one block ${record.height} committed`);
      }
      return record;
    }
    // A block from before read checks were stored: its place from the block itself (no result check).
    let hashes = this.txHashesAt.get(record.height);
    if (hashes === undefined) {
      const read = await this.readBlock(record.height);
      if (read === undefined) throw corrupt(what, `its block ${record.height} does not exist`);
      hashes = blockTxHashes(read.block); // hashed once per block object, when its read checked it
    }
    const atIndex = hashes[record.index] as Uint8Array | undefined;
    if (atIndex === undefined || !equalBytes(atIndex, hash)) {
      throw corrupt(what, `it is not tx ${record.index} of block ${record.height}, as its record says`);
    }
    return record;
  }
}

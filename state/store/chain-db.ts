import { Level } from "level";
import { concatBytes, equalBytes, readU64be, toHex, u64be, utf8 } from "../../crypto/bytes.ts";
import {
  type BlockCheck,
  decodeBlockCheck,
  decodeTxCheck,
  encodeBlockCheck,
  encodeTxCheck,
  type TxCheck,
} from "./block-check.ts";
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
  encodeBlockMeta,
  knownTxHashes,
} from "../../proto/block.ts";
import {
  decodeTxRecord,
  decodeTxResult,
  encodeTxRecord,
  encodeTxResult,
  type TxEvent,
  type TxRecord,
  type TxResult,
} from "../../proto/records.ts";
import { treePath, valueHash } from "../smt.ts";
import { PrunedHeightError } from "../tree/errors.ts";
import type { NodeStore } from "../tree/node-reader.ts";
import { buildTreeStreaming, STREAM_BUILD_BATCH_RECORDS } from "../tree/stream-build.ts";
import type { TreePut } from "../tree/versioned-tree.ts";
import type { StateWrite } from "../view.ts";
import type { LatestValueSource } from "./latest-values.ts";
import { BUCKET, bucketKey, heightKey, historyKey, historyPrefix, LATEST_HEIGHT_KEY, prefixEnd } from "./buckets.ts";
import { openError } from "./open-errors.ts";
import { historyEntryAt, scanState, type StateScan, type StateScanOptions } from "./state-scan.ts";

const EMPTY = new Uint8Array(0);
/** Tx checks kept decoded (each up to 64 bytes per tx of its block). */
const TX_CHECK_CACHE = 8;

export type { StateScan, StateScanOptions } from "./state-scan.ts";
export { DatabaseLockedError, DatabaseUnwritableError } from "./open-errors.ts";

/**
 * What the block store holds is not what was written (a flipped bit on disk, a lost LevelDB record): the read
 * is refused rather than served. The message names the height or key and what to do.
 */
export class BlockStoreCorruptError extends Error {
  override name = "BlockStoreCorruptError";
}

/** What an operator can do about a damaged block store. */
export const BLOCK_STORE_REPAIR =
  "The database in <home>/data/chain.db is damaged: stop the node and restore <home>/data/chain.db from a " +
  "backup, or move <home>/data/chain.db (only that directory) away and start the node again: it syncs the " +
  "chain from its peers. Leave priv_validator_state.json and cs.wal in <home>/data: they keep a validator " +
  "from signing twice (it only follows until the chain passes what it signed).";

function corrupt(what: string, why: string, cause?: unknown): BlockStoreCorruptError {
  return new BlockStoreCorruptError(`${what} in the block store is damaged: ${why}. ${BLOCK_STORE_REPAIR}`, { cause });
}

/** Recently read blocks' tx hashes (hex), by height: a tx lookup checks its position without decoding a block. */
const TX_HASH_CACHE_HEIGHTS = 16;

/**
 * Heights below the latest whose block keys start-up checks for gaps. Walking every height took minutes on a
 * long chain; a block lost further down is refused when read (`absent`: a missing height at or below the
 * latest is damage, never "no such block").
 */
export const GAP_CHECK_HEIGHTS = 1000;

const CHAIN_KEY = bucketKey(BUCKET.meta, utf8("chain"));
/** The oldest height whose state (tree and history) is retained; absent: 0, nothing pruned. */
const OLDEST_KEY = bucketKey(BUCKET.meta, utf8("oldest"));
/** Present while a streamed genesis is being written (writeGenesisPart), gone once writeGenesis ends it. */
const GENESIS_WRITING_KEY = bucketKey(BUCKET.meta, utf8("genesis-writing"));
/** A key of no meaning, written synced to fsync the log (see flush). */
const FLUSH_KEY = bucketKey(BUCKET.meta, utf8("flush"));

export interface CommittedBlock {
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
  writes: StateWrite[];
  /** The state tree's records for this height (TreeCandidate.ops()): in the same batch as the block. */
  treeOps?: TreePut[];
  /** Search index keys (state/store/tx-index.ts) written with the block; none when [index] is off. */
  indexKeys?: Uint8Array[];
}

/**
 * The node's LevelDB: blocks, block metadata, the tx index, state (latest values and per-height history)
 * and the latest-height marker. A block and everything it changed are written in ONE atomic, fsynced batch,
 * so after any crash the database holds either all of a block or none of it.
 *
 * Block sync commits thousands of blocks a second and turns the per-block fsync off (`setDurable(false)`),
 * fsyncing once per range instead (`flush`). The batches are still atomic and written in order to LevelDB's
 * log, so a crash (of the machine; a process crash loses nothing written) leaves every block up to some
 * height and none after: the node opens at that height and syncs the rest again.
 */
export class ChainDb {
  private readonly db: Level<Uint8Array, Uint8Array>;
  private readonly txHashesAt = new Map<number, string[]>();
  /** Recently read tx checks by height (a committed block's never changes). */
  private readonly txChecks = new Map<number, TxCheck>();
  private durable = true;
  private oldest = 0;

  private constructor(db: Level<Uint8Array, Uint8Array>) {
    this.db = db;
  }

  static async open(path: string): Promise<ChainDb> {
    const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: "view", valueEncoding: "view" });
    try {
      await db.open();
    } catch (err) {
      throw openError(path, err);
    }
    const chainDb = new ChainDb(db);
    const oldest = await chainDb.read(OLDEST_KEY, "the oldest retained height");
    if (oldest !== undefined) chainDb.oldest = readU64be(oldest);
    return chainDb;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** Latest committed height, or undefined before genesis was written. */
  async latestHeight(): Promise<number | undefined> {
    const raw = await this.read(LATEST_HEIGHT_KEY, "the latest-height marker");
    return raw === undefined ? undefined : readU64be(raw);
  }

  /** True if the database holds no key at all (a brand-new data directory). */
  async isEmpty(): Promise<boolean> {
    for await (const _ of this.db.keys({ limit: 1 })) return false;
    return true;
  }

  /** A small value of this node's own (not chain state): e.g. its proposer-priority checkpoint. */
  async getLocal(name: string): Promise<string | undefined> {
    const raw = await this.read(bucketKey(BUCKET.meta, utf8(`local/${name}`)), `the local value ${name}`);
    return raw === undefined ? undefined : Buffer.from(raw).toString("utf8");
  }

  async putLocal(name: string, value: string): Promise<void> {
    await this.db.put(bucketKey(BUCKET.meta, utf8(`local/${name}`)), utf8(value));
  }

  async chainIdentity(): Promise<string | undefined> {
    const raw = await this.read(CHAIN_KEY, "the chain identity");
    return raw === undefined ? undefined : Buffer.from(raw).toString("utf8");
  }

  /** Writes the genesis state as height 0 and records which chain this database belongs to. */
  async writeGenesis(identity: string, writes: StateWrite[], treeOps: TreePut[] = []): Promise<void> {
    const ops = this.stateOps(0, writes);
    for (const op of treeOps) ops.push(op); // not push(...): a large genesis has more ops than call arguments
    ops.push({ type: "put", key: CHAIN_KEY, value: utf8(identity) });
    ops.push({ type: "put", key: LATEST_HEIGHT_KEY, value: u64be(0) });
    ops.push({ type: "del", key: GENESIS_WRITING_KEY } as unknown as (typeof ops)[number]);
    await this.db.batch(ops, { sync: true });
  }

  /**
   * A part of a genesis too large for one batch (accounts streamed from a file), as state at height 0. The
   * first part marks the database as being written; writeGenesis, the last part, ends that.
   */
  async writeGenesisPart(writes: StateWrite[]): Promise<void> {
    const ops = this.stateOps(0, writes);
    // A del is a batch op too; stateOps types its list as puts (as writeGenesis's del of the marker does).
    for (const op of genesisTreeEntryOps(writes)) ops.push(op as (typeof ops)[number]);
    ops.push({ type: "put", key: GENESIS_WRITING_KEY, value: new Uint8Array(0) });
    await this.db.batch(ops);
  }

  /**
   * The last part of a streamed genesis: its writes, then the tree of height 0 built in one pass over the
   * parts' (path -> value hash) entries in path order, in bounded batches (a candidate would hold every entry
   * and node in memory), then those entries deleted, and only then the chain identity that ends the genesis:
   * a stop anywhere before leaves it unfinished, written again from the start.
   */
  async finishStreamedGenesis(identity: string, writes: StateWrite[], signal?: AbortSignal): Promise<void> {
    await this.writeGenesisPart(writes);
    // Stoppable between bounded batches (a SIGTERM while a large genesis builds): the marker stays, so the
    // next start writes the genesis again from the start.
    await buildTreeStreaming(this.genesisTreeEntries(), 0, (ops) => {
      signal?.throwIfAborted();
      return this.db.batch(ops);
    });
    const gte = Uint8Array.of(BUCKET.genesisTreeEntries);
    const lt = Uint8Array.of(BUCKET.genesisTreeEntries + 1);
    for (;;) {
      signal?.throwIfAborted();
      const keys: Uint8Array[] = [];
      for await (const key of this.db.keys({ gte, lt, limit: STREAM_BUILD_BATCH_RECORDS })) keys.push(key);
      if (keys.length === 0) break;
      await this.db.batch(keys.map((key) => ({ type: "del" as const, key })));
    }
    await this.writeGenesis(identity, []);
  }

  private async* genesisTreeEntries(): AsyncGenerator<{ path: Uint8Array; valueHash: Uint8Array }> {
    const gte = Uint8Array.of(BUCKET.genesisTreeEntries);
    const lt = Uint8Array.of(BUCKET.genesisTreeEntries + 1);
    for await (const [key, value] of this.db.iterator({ gte, lt })) yield { path: key.subarray(1), valueHash: value };
  }

  /** True if a streamed genesis was being written and never finished (the process stopped in between). */
  async genesisUnfinished(): Promise<boolean> {
    return (await this.read(GENESIS_WRITING_KEY, "the genesis marker")) !== undefined;
  }

  /** Removes every key: an unfinished genesis is written again from the start. */
  async clear(): Promise<void> {
    await this.db.clear();
  }

  async commitBlock(c: CommittedBlock): Promise<void> {
    const ops = this.stateOps(c.height, c.writes);
    ops.push({ type: "put", key: heightKey(BUCKET.block, c.height), value: c.blockBytes });
    const metaBytes = encodeBlockMeta(c.meta);
    ops.push({ type: "put", key: heightKey(BUCKET.blockMeta, c.height), value: metaBytes });
    ops.push({ type: "put", key: bucketKey(BUCKET.blockByHash, c.meta.hash), value: u64be(c.height) });
    // The result leaves are those of the header's resultsRoot, which execution checked for these bytes.
    const resultLeaves = c.txs.map((t) => t.resultLeaf ?? merkleLeaf(t.resultBytes));
    const check = encodeBlockCheck(c.blockBytes, metaBytes);
    ops.push({ type: "put", key: heightKey(BUCKET.blockCheck, c.height), value: check });
    const txCheck = encodeTxCheck(c.txs.map((t) => t.hash), resultLeaves);
    ops.push({ type: "put", key: heightKey(BUCKET.txCheck, c.height), value: txCheck });
    if (c.blockEvents !== undefined && c.blockEvents.length > 0) {
      const value = encodeTxResult({ code: 0, log: "", events: c.blockEvents });
      ops.push({ type: "put", key: heightKey(BUCKET.blockEvents, c.height), value });
    }
    for (let i = 0; i < c.txs.length; i++) {
      const t = c.txs[i];
      const record: TxRecord = { height: c.height, index: i, tx: t.bytes, resultBytes: t.resultBytes };
      ops.push({ type: "put", key: bucketKey(BUCKET.tx, t.hash), value: encodeTxRecord(record) });
    }
    for (const op of c.treeOps ?? []) ops.push(op);
    for (const key of c.indexKeys ?? []) ops.push({ type: "put", key, value: EMPTY });
    ops.push({ type: "put", key: LATEST_HEIGHT_KEY, value: u64be(c.height) });
    await this.writeAtomically(ops, this.durable);
  }

  /**
   * Writes `ops` as one atomic LevelDB batch, through a chained batch: the array form cost about twice the CPU
   * per op (abstract-level clones each op object, classic-level reads each one's fields back; 4.0 vs 1.9 us
   * per small put measured), and a block of transfers writes several ops per tx.
   */
  private async writeAtomically(
    ops: readonly { type: "put" | "del"; key: Uint8Array; value?: Uint8Array }[],
    sync: boolean,
  ): Promise<void> {
    const batch = this.db.batch();
    try {
      for (const op of ops) {
        if (op.type === "put") batch.put(op.key, op.value as Uint8Array);
        else batch.del(op.key);
      }
    } catch (err) {
      await batch.close();
      throw err;
    }
    await batch.write({ sync });
  }

  /**
   * Synchronous reads for the state tree (classic-level's getSync: execution builds a block's tree in one
   * synchronous pass). LevelDB's corruption errors become BlockStoreCorruptError like every other read.
   */
  treeStore(): NodeStore {
    return {
      get: (key) => {
        try {
          return this.db.getSync(key);
        } catch (err) {
          if ((err as { code?: string }).code === "LEVEL_CORRUPTION") {
            throw corrupt("a state tree record", (err as Error).message, err);
          }
          throw err;
        }
      },
    };
  }

  /** The oldest height whose state is retained (0 unless pruned): reads below it are PrunedHeightError. */
  get oldestRetained(): number {
    return this.oldest;
  }

  /**
   * Records that heights below `height` are no longer served, before their data is deleted (so no reader
   * meets a half-deleted height as "damaged"). Only moves forward.
   */
  async setOldestRetained(height: number): Promise<void> {
    if (height <= this.oldest) return;
    this.oldest = height;
    await this.db.put(OLDEST_KEY, u64be(height));
  }

  /** Entries in [gte, lt), in key order, at most `limit` (the pruner's reads of its own buckets). */
  async rawEntries(gte: Uint8Array, lt: Uint8Array, limit: number): Promise<[Uint8Array, Uint8Array][]> {
    const out: [Uint8Array, Uint8Array][] = [];
    for await (const entry of this.db.iterator({ gte, lt, limit })) out.push(entry);
    return out;
  }

  /** Writes tree records outside a block (the one-time build for a database from before they were stored). */
  async writeTreeRecords(ops: TreePut[]): Promise<void> {
    await this.db.batch(ops, { sync: true });
  }

  /** Deletes keys in one atomic batch (pruning; never part of a block). */
  async deleteKeys(keys: Uint8Array[]): Promise<void> {
    await this.db.batch(keys.map((key) => ({ type: "del" as const, key })));
  }

  /**
   * The history keys of `stateKey` a version written at `height` supersedes once `height` is the oldest
   * retained (or older): every version before it, and the version itself if it is a deletion (reading no
   * entry there means absent, as the deletion does).
   */
  async supersededHistory(stateKey: Uint8Array, height: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    const range = { gte: historyPrefix(stateKey), lte: historyKey(stateKey, height) };
    for await (const [key, value] of this.db.iterator(range)) {
      if (readU64be(key, key.byteLength - 8) < height || value[0] === 0) out.push(key);
    }
    return out;
  }

  /** Whether each commitBlock is fsynced (the default); turning it back on fsyncs what came before. */
  async setDurable(durable: boolean): Promise<void> {
    this.durable = durable;
    if (durable) await this.flush();
  }

  /** Makes every batch written so far durable: a synced write fsyncs LevelDB's log with all before it. */
  async flush(): Promise<void> {
    await this.db.put(FLUSH_KEY, new Uint8Array(0), { sync: true });
  }

  private stateOps(height: number, writes: StateWrite[]) {
    const ops: { type: "put" | "del"; key: Uint8Array; value?: Uint8Array }[] = [];
    for (const w of writes) {
      const latestKey = bucketKey(BUCKET.stateLatest, w.key);
      if (w.value === undefined) {
        ops.push({ type: "del", key: latestKey });
        ops.push({ type: "put", key: historyKey(w.key, height), value: Uint8Array.of(0) });
      } else {
        ops.push({ type: "put", key: latestKey, value: w.value });
        ops.push({
          type: "put",
          key: historyKey(w.key, height),
          value: concatBytes(Uint8Array.of(1), w.value),
        });
      }
    }
    return ops as { type: "put"; key: Uint8Array; value: Uint8Array }[];
  }

  /**
   * Reads a stored value. LevelDB's own corruption errors (a bad table block, say) become a
   * BlockStoreCorruptError naming what was read.
   */
  private async read(key: Uint8Array, what: string): Promise<Uint8Array | undefined> {
    try {
      return await this.db.get(key);
    } catch (err) {
      if ((err as { code?: string }).code === "LEVEL_CORRUPTION") throw corrupt(what, (err as Error).message, err);
      throw err;
    }
  }

  /** Decodes a stored record; bytes that do not decode are damage, named as such. */
  private decoded<T>(what: string, decode: () => T): T {
    try {
      return decode();
    } catch (err) {
      throw corrupt(what, `it does not decode (${(err as Error).message})`, err);
    }
  }

  /** A height at or below the latest must have its block: its absence is a lost block, not "no such block". */
  private async absent(height: number, what: string): Promise<undefined> {
    const latest = await this.latestHeight();
    if (latest !== undefined && height >= 1 && height <= latest) {
      throw corrupt(what, `it is missing though the chain is at height ${latest}`);
    }
    return undefined;
  }

  /** The block at `height`, checked against its header and stored hash before it is served (see readBlock). */
  async getBlock(height: number): Promise<Block | undefined> {
    return (await this.readBlock(height))?.block;
  }

  /**
   * The block's canonical bytes as stored (block sync serves them without re-encoding). They must match the
   * digest stored with them at commit (the receiving peer decodes and verifies them in full): one read and
   * one hash, no decode. A block committed before digests were stored is checked in full (readBlock).
   */
  async getBlockBytes(height: number): Promise<Uint8Array | undefined> {
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
    this.rememberTxHashes(height, block);
    return { block, bytes };
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
      if (blockCheck === undefined || txCheck === undefined || txCheck.txHashes.length !== txs) return undefined;
      if (bytes.byteLength !== blockCheck.size || !equalBytes(sha256(bytes), blockCheck.digest)) return undefined;
      // Plain views, as hashing gives: the stored ones are views of the Buffer LevelDB read.
      return txCheck.txHashes.map((h) => new Uint8Array(h.buffer, h.byteOffset, h.byteLength));
    } catch (err) {
      if (err instanceof BlockStoreCorruptError) return undefined;
      throw err;
    }
  }

  private rememberTxHashes(height: number, block: Block): void {
    this.txHashesAt.delete(height);
    this.txHashesAt.set(height, blockTxHashes(block).map(toHex));
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

  /** Up to `limit` keys in [gte, lt), ascending or (reverse) descending: a search index range scan. */
  async keysIn(gte: Uint8Array, lt: Uint8Array, reverse: boolean, limit: number): Promise<Uint8Array[]> {
    const keys: Uint8Array[] = [];
    for await (const key of this.db.keys({ gte, lt, reverse, limit })) keys.push(key);
    return keys;
  }

  /** The hashes of block `height`'s txs in block order, from its checked tx check (or the block itself). */
  async txHashesOf(height: number): Promise<Uint8Array[] | undefined> {
    const check = await this.getTxCheck(height);
    if (check !== undefined) return check.txHashes;
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
      if (!equalBytes(check.txHashes[record.index] ?? new Uint8Array(0), hash)) {
        throw corrupt(what, `it is not tx ${record.index} of block ${record.height}, as its record says`);
      }
      if (!equalBytes(merkleLeaf(record.resultBytes), check.resultHashes[record.index])) {
        throw corrupt(what, `its result is not the one block ${record.height} committed`);
      }
      return record;
    }
    // A block from before read checks were stored: its place from the block itself (no result check).
    let hashes = this.txHashesAt.get(record.height);
    if (hashes === undefined) {
      if ((await this.readBlock(record.height)) === undefined) throw corrupt(what, `its block ${record.height} does not exist`);
      hashes = this.txHashesAt.get(record.height) as string[];
    }
    if (hashes[record.index] !== toHex(hash)) {
      throw corrupt(what, `it is not tx ${record.index} of block ${record.height}, as its record says`);
    }
    return record;
  }

  /** The value of a state key as of the end of `height` (undefined if absent then). */
  async getStateAt(key: Uint8Array, height: number): Promise<Uint8Array | undefined> {
    if (height < this.oldest) throw new PrunedHeightError(height, this.oldest);
    const value = await this.historyEntryAt(key, height);
    return value?.[0] === 1 ? value.subarray(1) : undefined;
  }

  /**
   * State entries under `prefix` in key order, as of the end of `height` (undefined: the latest), starting
   * after the key `after` (exclusive): see state/store/state-scan.ts.
   */
  scanState(opts: StateScanOptions): Promise<StateScan> {
    return scanState(this.db, opts, this.oldest);
  }

  /** The raw history entry (0x01 || value, or 0x00: deleted) in force for `key` at `height`, if any. */
  private historyEntryAt(key: Uint8Array, height: number): Promise<Uint8Array | undefined> {
    return historyEntryAt(this.db, key, height);
  }

  /**
   * The latest-value bucket read synchronously (LevelDB's getSync, a few microseconds a read) as of a
   * snapshot, which `advance` moves to the database as it is now. Between a block's batch landing on disk and
   * the latest state applying it, readers keep seeing the values of the state they check against.
   */
  latestValues(): LatestValueSource {
    let snapshot = this.db.snapshot();
    return {
      read: (key) => {
        try {
          const value = this.db.getSync(bucketKey(BUCKET.stateLatest, key), { snapshot });
          // getSync hands out a Buffer whatever the encoding; readers get a plain Uint8Array (whose slice copies).
          return value === undefined ? undefined : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        } catch (err) {
          if ((err as { code?: string }).code === "LEVEL_CORRUPTION") {
            throw corrupt(`the state value at key ${toHex(key)}`, (err as Error).message, err);
          }
          throw err;
        }
      },
      readPrefix: async (prefix) => {
        const entries: [Uint8Array, Uint8Array][] = [];
        const gte = bucketKey(BUCKET.stateLatest, prefix);
        const lt = bucketKey(BUCKET.stateLatest, prefixEnd(prefix));
        for await (const [key, value] of this.db.iterator({ gte, lt, snapshot })) {
          entries.push([key.subarray(1), value]);
        }
        return entries;
      },
      advance: () => {
        const previous = snapshot;
        snapshot = this.db.snapshot();
        void previous.close();
      },
      close: () => {
        void snapshot.close();
      },
    };
  }

  /** Every latest state entry, in key order (used once at start-up to rebuild the in-memory state). */
  async* latestState(): AsyncGenerator<[Uint8Array, Uint8Array]> {
    const prefix = Uint8Array.of(BUCKET.stateLatest);
    const end = Uint8Array.of(BUCKET.stateLatest + 1);
    try {
      for await (const [key, value] of this.db.iterator({ gte: prefix, lt: end })) {
        yield [key.subarray(1), value];
      }
    } catch (err) {
      if ((err as { code?: string }).code === "LEVEL_CORRUPTION") {
        throw corrupt("the latest state", (err as Error).message, err);
      }
      throw err;
    }
  }
}

/** A streamed genesis's (tree path -> value hash) entries for its writes; a later write of a key replaces it. */
type EntryOp = { type: "put"; key: Uint8Array; value: Uint8Array } | { type: "del"; key: Uint8Array };

function genesisTreeEntryOps(writes: StateWrite[]): EntryOp[] {
  return writes.map((w) => {
    const key = bucketKey(BUCKET.genesisTreeEntries, treePath(w.key));
    return w.value === undefined ? { type: "del", key } : { type: "put", key, value: valueHash(w.value) };
  });
}

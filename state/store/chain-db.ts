import { Level } from "level";
import { readU64be, toHex, u64be, utf8 } from "../../crypto/bytes.ts";
import type { Block, BlockMeta } from "../../proto/block.ts";
import type { TxEvent, TxRecord, TxResult } from "../../proto/records.ts";
import { treePath, valueHash } from "../smt.ts";
import { PrunedHeightError } from "../tree/errors.ts";
import type { NodeStore } from "../tree/node-reader.ts";
import { buildTreeStreaming, STREAM_BUILD_BATCH_RECORDS } from "../tree/stream-build.ts";
import type { TreePut, TreeWrites } from "../tree/versioned-tree.ts";
import type { BlockIndexTerms } from "../index-terms.ts";
import type { StateWrite } from "../view.ts";
import { type BatchOp, type BatchSink, copyingSmallArrays, listSink } from "./batch-sink.ts";
import { BlockStore, type StoredBlock } from "./block-store.ts";
import { offHeapKey } from "./off-heap-scratch.ts";
import { BUCKET, bucketKey, historyKey, historyPrefix, LATEST_HEIGHT_KEY, prefixEnd } from "./buckets.ts";
import { corrupt, readChecked } from "./checked-reads.ts";
import type { LatestValueSource } from "./latest-values.ts";
import { openError } from "./open-errors.ts";
import { DEFAULT_WRITE_BUFFER_BYTES, MAX_WRITE_BUFFER_BYTES, MIN_WRITE_BUFFER_BYTES } from "./write-buffer.ts";
import { historyEntryAt, scanState, type StateScan, type StateScanOptions } from "./state-scan.ts";

const EMPTY = new Uint8Array(0);

export type { StateScan, StateScanOptions } from "./state-scan.ts";
export { DatabaseLockedError, DatabaseUnwritableError } from "./open-errors.ts";
export { BLOCK_STORE_REPAIR, BlockStoreCorruptError } from "./checked-reads.ts";
export { GAP_CHECK_HEIGHTS } from "./block-store.ts";

const CHAIN_KEY = bucketKey(BUCKET.meta, utf8("chain"));
/** The oldest height whose state (tree and history) is retained; absent: 0, nothing pruned. */
const OLDEST_KEY = bucketKey(BUCKET.meta, utf8("oldest"));
/** Present while a streamed genesis is being written (writeGenesisPart), gone once writeGenesis ends it. */
const GENESIS_WRITING_KEY = bucketKey(BUCKET.meta, utf8("genesis-writing"));
/** A key of no meaning, written synced to fsync the log (see flush). */
const FLUSH_KEY = bucketKey(BUCKET.meta, utf8("flush"));

/** A committed block with the state it changed: what commitBlock writes in one batch. */
export interface CommittedBlock extends StoredBlock {
  writes: StateWrite[];
  /** The state tree's records for this height (a TreeCandidate): in the same batch as the block. */
  tree?: TreeWrites;
  /** Search index keys (state/store/tx-index.ts) written with the block; none when [index] is off. */
  indexKeys?: Uint8Array[];
  /** The same keys as the walked terms that make them (node/executed-block.ts): put without a view each. */
  indexTerms?: BlockIndexTerms;
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
 *
 * The block store (blocks, commits, tx records and their checked reads) is `blocks` (state/store/block-store.ts);
 * its reads are also ChainDb's own methods below, as most callers use them.
 */
export class ChainDb {
  private readonly db: Level<Uint8Array, Uint8Array>;
  readonly blocks: BlockStore;
  private durable = true;
  private oldest = 0;

  private constructor(db: Level<Uint8Array, Uint8Array>) {
    this.db = db;
    this.blocks = new BlockStore(db, () => this.latestHeight());
  }

  /** `writeBufferBytes`: LevelDB's memtable ([state] write_buffer_bytes; state/store/write-buffer.ts says why). */
  static async open(path: string, opts: { writeBufferBytes?: number } = {}): Promise<ChainDb> {
    const writeBufferSize = opts.writeBufferBytes ?? DEFAULT_WRITE_BUFFER_BYTES;
    const inBounds = writeBufferSize >= MIN_WRITE_BUFFER_BYTES && writeBufferSize <= MAX_WRITE_BUFFER_BYTES;
    if (!Number.isSafeInteger(writeBufferSize) || !inBounds) {
      throw new RangeError(
        `LevelDB write buffer must be ${MIN_WRITE_BUFFER_BYTES} to ${MAX_WRITE_BUFFER_BYTES} bytes, got ${writeBufferSize}`,
      );
    }
    const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: "view", valueEncoding: "view", writeBufferSize });
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
    ops.push({ type: "del", key: GENESIS_WRITING_KEY });
    await this.db.batch(ops, { sync: true });
  }

  /**
   * A part of a genesis too large for one batch (accounts streamed from a file), as state at height 0. The
   * first part marks the database as being written; writeGenesis, the last part, ends that.
   */
  async writeGenesisPart(writes: StateWrite[]): Promise<void> {
    const ops = this.stateOps(0, writes);
    for (const op of genesisTreeEntryOps(writes)) ops.push(op);
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
    this.blocks.forget();
  }

  /**
   * Writes a committed block and the state it changed in one batch. Not an async function, nor is
   * writeAtomically: each record (every tx's, the tree's nodes, the index keys) is put into LevelDB's native
   * batch as it is made, and is garbage from then on; an async frame would hold what it made (it keeps its
   * arguments and locals until it returns) for as long as the write takes, long enough on a loaded node to
   * be promoted.
   */
  commitBlock(c: CommittedBlock): Promise<void> {
    return this.writeAtomically((batch) => {
      putState(batch, c.height, c.writes);
      this.blocks.putBlock(c, batch);
      c.tree?.putInto(batch);
      batch.put(LATEST_HEIGHT_KEY, u64be(c.height));
      // Indexed, not for-of: this runs once per block, mostly unoptimized, where each step of an iterator is
      // an object; and the index keys (several per tx) go to the batch as they are.
      const indexKeys = c.indexKeys ?? [];
      for (let i = 0; i < indexKeys.length; i++) batch.put(indexKeys[i], EMPTY);
      c.indexTerms?.putKeys(batch, EMPTY);
    }, this.durable);
  }

  /**
   * Writes what `fill` puts as one atomic LevelDB batch, through a chained batch: the array form cost about
   * twice the CPU per op (abstract-level clones each op object, classic-level reads each one's fields back;
   * 4.0 vs 1.9 us per small put measured), and a block of transfers writes several records per tx.
   */
  private writeAtomically(fill: (batch: BatchSink) => void, sync: boolean): Promise<void> {
    let batch: ReturnType<ChainDb["db"]["batch"]>;
    try {
      batch = this.db.batch(); // throws at once on a closed database: a rejection here, as commitBlock promises
    } catch (err) {
      return Promise.reject(err);
    }
    try {
      // The scratch is reused by the next put: only when abstract-level keeps no op (it does for prewrite
      // hooks and 'write' listeners, deciding as the batch is made; ChainDb adds neither).
      const keepsOps = this.db.listenerCount("write") > 0 || !(this.db.hooks.prewrite as { noop?: boolean }).noop;
      fill(keepsOps ? batch : copyingSmallArrays(batch));
    } catch (err) {
      return batch.close().then(() => Promise.reject(err));
    }
    return batch.write({ sync });
  }

  /**
   * Synchronous reads for the state tree (classic-level's getSync: execution builds a block's tree in one
   * synchronous pass). LevelDB's corruption errors become BlockStoreCorruptError like every other read.
   */
  treeStore(): NodeStore {
    return {
      get: (key) => {
        try {
          return this.db.getSync(offHeapKey(key)); // (off-heap-scratch.ts: the key is a small new array)
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

  private stateOps(height: number, writes: StateWrite[]): BatchOp[] {
    const ops: BatchOp[] = [];
    putState(listSink(ops), height, writes);
    return ops;
  }

  /** A stored value; LevelDB's corruption errors become a BlockStoreCorruptError naming what was read. */
  private read(key: Uint8Array, what: string): Promise<Uint8Array | undefined> {
    return readChecked(this.db, key, what);
  }

  /** The block at `height`, checked before it is served (BlockStore.getBlock). */
  getBlock(height: number): Promise<Block | undefined> {
    return this.blocks.getBlock(height);
  }

  /** The block's canonical bytes as stored, checked against their digest (BlockStore.getBlockBytes). */
  getBlockBytes(height: number): Promise<Uint8Array | undefined> {
    return this.blocks.getBlockBytes(height);
  }

  /** The size in bytes of the block at `height` as stored, without reading it (BlockStore.blockSize). */
  blockSize(height: number): Promise<number | undefined> {
    return this.blocks.blockSize(height);
  }

  /** The first run of heights near `latest` with no block or metadata (BlockStore.missingBlocks). */
  missingBlocks(latest: number): Promise<[number, number] | undefined> {
    return this.blocks.missingBlocks(latest);
  }

  /** Up to `limit` keys in [gte, lt), ascending or (reverse) descending: a search index range scan. */
  async keysIn(gte: Uint8Array, lt: Uint8Array, reverse: boolean, limit: number): Promise<Uint8Array[]> {
    const keys: Uint8Array[] = [];
    for await (const key of this.db.keys({ gte, lt, reverse, limit })) keys.push(key);
    return keys;
  }

  /** The hashes of block `height`'s txs in block order (BlockStore.txHashesOf). */
  txHashesOf(height: number): Promise<Uint8Array[] | undefined> {
    return this.blocks.txHashesOf(height);
  }

  /** The events a block's own steps made (BlockStore.getBlockEvents). */
  getBlockEvents(height: number): Promise<TxEvent[]> {
    return this.blocks.getBlockEvents(height);
  }

  /** A block's header apart from its block, with its hash and commit, checked (BlockStore.getStoredHeader). */
  getStoredHeader(height: number): ReturnType<BlockStore["getStoredHeader"]> {
    return this.blocks.getStoredHeader(height);
  }

  /** A block's hash and commit, checked (BlockStore.getBlockMeta). */
  getBlockMeta(height: number): Promise<BlockMeta | undefined> {
    return this.blocks.getBlockMeta(height);
  }

  /** The height of the block with this hash, checked (BlockStore.heightOfBlock). */
  heightOfBlock(hash: Uint8Array): Promise<number | undefined> {
    return this.blocks.heightOfBlock(hash);
  }

  /** A transaction by hash, checked against its block (BlockStore.getTx). */
  getTx(hash: Uint8Array, checkPlace = true): Promise<(TxRecord & { result: TxResult }) | undefined> {
    return this.blocks.getTx(hash, checkPlace);
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
          const value = this.db.getSync(offHeapKey(bucketKey(BUCKET.stateLatest, key)), { snapshot });
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
function genesisTreeEntryOps(writes: StateWrite[]): BatchOp[] {
  return writes.map((w) => {
    const key = bucketKey(BUCKET.genesisTreeEntries, treePath(w.key));
    return w.value === undefined ? { type: "del", key } : { type: "put", key, value: valueHash(w.value) };
  });
}

/** Puts state writes of `height`: each key's latest value (or its delete) and its history entry. */
function putState(batch: BatchSink, height: number, writes: StateWrite[]): void {
  for (let i = 0; i < writes.length; i++) {
    const w = writes[i];
    const latestKey = bucketKey(BUCKET.stateLatest, w.key);
    if (w.value === undefined) {
      batch.del(latestKey);
      batch.put(historyKey(w.key, height), Uint8Array.of(0));
    } else {
      batch.put(latestKey, w.value);
      batch.put(historyKey(w.key, height), presentHistoryValue(w.value));
    }
  }
}

/** A history entry of a present value: 0x01 || value, in one array (one per state write of every block). */
function presentHistoryValue(value: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + value.byteLength);
  out[0] = 1;
  out.set(value, 1);
  return out;
}

import { Level } from "level";
import { concatBytes, equalBytes, readU64be, u64be, utf8 } from "../../crypto/bytes.ts";
import {
  type Block,
  type BlockMeta,
  decodeBlock,
  decodeBlockMeta,
  encodeBlockMeta,
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
import type { StateWrite } from "../view.ts";
import { BUCKET, bucketKey, heightKey, historyKey, historyPrefix } from "./buckets.ts";
import { openError } from "./open-errors.ts";

/** The first key after every key that starts with `prefix` (prefix + 1 at its last byte below 0xff). */
function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = prefix.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  throw new Error("a prefix of only 0xff bytes has no end");
}

export { DatabaseLockedError, DatabaseUnwritableError } from "./open-errors.ts";

const LATEST_KEY = bucketKey(BUCKET.meta, utf8("latest"));
/**
 * Versions of one key a historical scan reads in order before it seeks instead: reading on in order is a
 * batched ~1 µs per entry, a seek a round trip of tens of µs, so few versions are read and many jumped.
 */
const FEW_VERSIONS = 16;
const CHAIN_KEY = bucketKey(BUCKET.meta, utf8("chain"));

/** One page of a state scan (ChainDb.scanState). */
export interface StateScan {
  /** Present entries, in key order: [state key, value]. */
  entries: [Uint8Array, Uint8Array][];
  /** Distinct keys looked at, present or not (what a scan's cost grows with). */
  visited: number;
  /** The last key looked at: continue after it. undefined if none was. */
  lastKey: Uint8Array | undefined;
  /** Nothing under the prefix lies after lastKey. */
  done: boolean;
}

export interface CommittedBlock {
  height: number;
  block: Block;
  blockBytes: Uint8Array;
  meta: BlockMeta;
  /** What beginBlock and endBlock did (stored for queries; no root commits to them). */
  blockEvents?: TxEvent[];
  /** Transactions as stored in the block, with their hashes and encoded results, in block order. */
  txs: { hash: Uint8Array; bytes: Uint8Array; resultBytes: Uint8Array }[];
  writes: StateWrite[];
}

/**
 * The node's LevelDB: blocks, block metadata, the tx index, state (latest values and per-height history)
 * and the latest-height marker. A block and everything it changed are written in ONE atomic, fsynced batch,
 * so after any crash the database holds either all of a block or none of it.
 */
export class ChainDb {
  private readonly db: Level<Uint8Array, Uint8Array>;

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
    return new ChainDb(db);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** Latest committed height, or undefined before genesis was written. */
  async latestHeight(): Promise<number | undefined> {
    const raw = await this.db.get(LATEST_KEY);
    return raw === undefined ? undefined : readU64be(raw);
  }

  /** True if the database holds no key at all (a brand-new data directory). */
  async isEmpty(): Promise<boolean> {
    for await (const _ of this.db.keys({ limit: 1 })) return false;
    return true;
  }

  /** A small value of this node's own (not chain state): e.g. its proposer-priority checkpoint. */
  async getLocal(name: string): Promise<string | undefined> {
    const raw = await this.db.get(bucketKey(BUCKET.meta, utf8(`local/${name}`)));
    return raw === undefined ? undefined : Buffer.from(raw).toString("utf8");
  }

  async putLocal(name: string, value: string): Promise<void> {
    await this.db.put(bucketKey(BUCKET.meta, utf8(`local/${name}`)), utf8(value));
  }

  async chainIdentity(): Promise<string | undefined> {
    const raw = await this.db.get(CHAIN_KEY);
    return raw === undefined ? undefined : Buffer.from(raw).toString("utf8");
  }

  /** Writes the genesis state as height 0 and records which chain this database belongs to. */
  async writeGenesis(identity: string, writes: StateWrite[]): Promise<void> {
    const ops = this.stateOps(0, writes);
    ops.push({ type: "put", key: CHAIN_KEY, value: utf8(identity) });
    ops.push({ type: "put", key: LATEST_KEY, value: u64be(0) });
    await this.db.batch(ops, { sync: true });
  }

  async commitBlock(c: CommittedBlock): Promise<void> {
    const ops = this.stateOps(c.height, c.writes);
    ops.push({ type: "put", key: heightKey(BUCKET.block, c.height), value: c.blockBytes });
    ops.push({ type: "put", key: heightKey(BUCKET.blockMeta, c.height), value: encodeBlockMeta(c.meta) });
    ops.push({ type: "put", key: bucketKey(BUCKET.blockByHash, c.meta.hash), value: u64be(c.height) });
    if (c.blockEvents !== undefined && c.blockEvents.length > 0) {
      const value = encodeTxResult({ code: 0, log: "", events: c.blockEvents });
      ops.push({ type: "put", key: heightKey(BUCKET.blockEvents, c.height), value });
    }
    for (let i = 0; i < c.txs.length; i++) {
      const t = c.txs[i];
      const record: TxRecord = { height: c.height, index: i, tx: t.bytes, resultBytes: t.resultBytes };
      ops.push({ type: "put", key: bucketKey(BUCKET.tx, t.hash), value: encodeTxRecord(record) });
    }
    ops.push({ type: "put", key: LATEST_KEY, value: u64be(c.height) });
    await this.db.batch(ops, { sync: true });
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

  async getBlock(height: number): Promise<Block | undefined> {
    const raw = await this.getBlockBytes(height);
    return raw === undefined ? undefined : decodeBlock(raw);
  }

  /** The block's canonical bytes as stored (block sync serves them without re-encoding). */
  async getBlockBytes(height: number): Promise<Uint8Array | undefined> {
    return this.db.get(heightKey(BUCKET.block, height));
  }

  /** The events a block's own steps made (empty if none). */
  async getBlockEvents(height: number): Promise<TxEvent[]> {
    const raw = await this.db.get(heightKey(BUCKET.blockEvents, height));
    return raw === undefined ? [] : decodeTxResult(raw).events;
  }

  async getBlockMeta(height: number): Promise<BlockMeta | undefined> {
    const raw = await this.db.get(heightKey(BUCKET.blockMeta, height));
    return raw === undefined ? undefined : decodeBlockMeta(raw);
  }

  async heightOfBlock(hash: Uint8Array): Promise<number | undefined> {
    const raw = await this.db.get(bucketKey(BUCKET.blockByHash, hash));
    return raw === undefined ? undefined : readU64be(raw);
  }

  async getTx(hash: Uint8Array): Promise<(TxRecord & { result: TxResult }) | undefined> {
    const raw = await this.db.get(bucketKey(BUCKET.tx, hash));
    return raw === undefined ? undefined : decodeTxRecord(raw);
  }

  /** The value of a state key as of the end of `height` (undefined if absent then). */
  async getStateAt(key: Uint8Array, height: number): Promise<Uint8Array | undefined> {
    const value = await this.historyEntryAt(key, height);
    return value?.[0] === 1 ? value.subarray(1) : undefined;
  }

  /**
   * State entries under `prefix` in key order, as of the end of `height` (undefined: the latest), starting
   * after the key `after` (exclusive): at most `limit` entries, after visiting at most `maxVisits` distinct
   * keys (present or not at that height). Every key under a listable prefix has the same length
   * (state/keys.ts), `keyLength`, which is how the history bucket groups them.
   *
   * `lastKey` is where the scan stopped (pass it as `after` to go on), which can lie past the last entry when
   * keys absent at `height` were skipped; `done` says the prefix has nothing after it.
   */
  async scanState(opts: {
    prefix: Uint8Array;
    keyLength: number;
    /** The state at the end of this height; the latest-value bucket serves it while it is the latest. */
    height: number;
    after?: Uint8Array;
    limit: number;
    maxVisits?: number;
  }): Promise<StateScan> {
    const { prefix, keyLength, height, after, limit } = opts;
    const maxVisits = opts.maxVisits ?? Number.POSITIVE_INFINITY;
    const scan: StateScan = { entries: [], visited: 0, lastKey: undefined, done: false };
    // The latest values are cheapest to scan, but a block may commit during the scan: read them through a
    // snapshot, and only if that snapshot is exactly at `height` (else fall through to the history).
    const snapshot = this.db.snapshot();
    try {
      const latest = await this.db.get(LATEST_KEY, { snapshot });
      if (latest !== undefined && readU64be(latest) === height) {
        const start = bucketKey(BUCKET.stateLatest, after ?? prefix);
        for await (const [key, value] of this.db.iterator({
          [after === undefined ? "gte" : "gt"]: start,
          lt: bucketKey(BUCKET.stateLatest, prefixEnd(prefix)),
          snapshot,
        })) {
          scan.visited++;
          if (key.byteLength - 1 === keyLength) {
            scan.lastKey = key.subarray(1);
            scan.entries.push([scan.lastKey, value]);
          }
          if (scan.entries.length >= limit || scan.visited >= maxVisits) return scan;
        }
        scan.done = true;
        return scan;
      }
    } finally {
      await snapshot.close();
    }
    // History keys sort by (state key, height): each key's versions are consecutive, read in order. A key
    // with more than FEW_VERSIONS versions is not walked to its end: one reverse seek finds the version in
    // force at `height` and a forward seek jumps past the rest. A key rewritten at every height then costs
    // what a key written a few times does (walking every version made a page O(all versions ever)), while
    // keys with few versions keep the iterator's batched sequential reads (a seek costs a round trip).
    const len = Uint8Array.of(keyLength >> 8, keyLength & 0xff);
    const base = bucketKey(BUCKET.stateHistory, len);
    const end = concatBytes(base, prefixEnd(prefix));
    const from = after === undefined ? concatBytes(base, prefix) : historyKey(after, Number.MAX_SAFE_INTEGER);
    const forward = this.db.iterator({ gt: from, lt: end });
    const keyEnd = 3 + keyLength; // bucket byte, 2 length bytes, the state key, then the height
    let current: Uint8Array | undefined; // the key being read, until it is finished
    let value: Uint8Array | undefined; // its version in force at `height` (so far)
    let steps = 0; // its versions read
    const finish = () => {
      if (current !== undefined && value?.[0] === 1) scan.entries.push([current, value.subarray(1)]);
      current = undefined;
    };
    const full = () => scan.entries.length >= limit || scan.visited >= maxVisits;
    try {
      for (;;) {
        const entry = await forward.next();
        if (entry === undefined) {
          finish();
          scan.done = true;
          return scan;
        }
        const [historyKeyBytes, v] = entry;
        const stateKey = historyKeyBytes.subarray(3, keyEnd);
        if (current === undefined || !equalBytes(current, stateKey)) {
          const hadKey = current !== undefined;
          finish();
          if (hadKey && full()) return scan;
          current = stateKey;
          value = undefined;
          steps = 0;
          scan.visited++;
          scan.lastKey = stateKey;
        }
        steps++;
        const at = readU64be(historyKeyBytes, keyEnd);
        if (at <= height) value = v;
        if (steps < FEW_VERSIONS) continue;
        // Many versions: if later ones may still be at or below `height`, ask for the one in force directly.
        if (at < height) value = await this.historyEntryAt(current, height);
        const past = prefixEnd(historyPrefix(current));
        finish();
        if (full()) return scan;
        forward.seek(past);
      }
    } finally {
      await forward.close();
    }
  }

  /** The raw history entry (0x01 || value, or 0x00: deleted) in force for `key` at `height`, if any. */
  private async historyEntryAt(key: Uint8Array, height: number): Promise<Uint8Array | undefined> {
    for await (const [, value] of this.db.iterator({
      gte: historyPrefix(key),
      lte: historyKey(key, height),
      reverse: true,
      limit: 1,
    })) {
      return value;
    }
    return undefined;
  }

  /** Every latest state entry, in key order (used once at start-up to rebuild the in-memory state). */
  async* latestState(): AsyncGenerator<[Uint8Array, Uint8Array]> {
    const prefix = Uint8Array.of(BUCKET.stateLatest);
    const end = Uint8Array.of(BUCKET.stateLatest + 1);
    for await (const [key, value] of this.db.iterator({ gte: prefix, lt: end })) {
      yield [key.subarray(1), value];
    }
  }
}

import {
  close,
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { ftruncateSync } from "node:fs";
import { dirname } from "node:path";
import { crc32 } from "node:zlib";
import { fromBase64 } from "../crypto/bytes.ts";
import { CoalescedJob } from "./coalesced-job.ts";
import { type Fsyncer, threadPoolFsync } from "./durable-file.ts";

/**
 * The consensus write-ahead log: every input the engine acts on, and every message this validator signed,
 * appended before it takes effect. One file holds the current height; it is replaced once the height's block
 * is committed (write a temp file, rename it over the log; see `reset` for when that is durable). An append is
 * a write (a killed process loses none of it); `flush` makes every record appended so far durable against
 * power loss, with one fsync on libuv's thread pool shared by every record of the tick (group commit), never
 * blocking the main thread. The driver flushes before any message it signed leaves, which covers every input
 * before it in the file: the records lost to power loss are only inputs after the last released signature,
 * which nothing outside the node saw this node act on, and which peers send again.
 *
 * Record: [u32 BE payload length][u32 BE crc32 of payload][payload]. The payload is a kind byte, then:
 * - KIND_JSON: the record as UTF-8 JSON;
 * - KIND_JSON_BYTES: [u32 BE JSON length][the record as UTF-8 JSON, without its `bytes` field][`bytes`, raw].
 * A record whose `bytes` field is a Uint8Array (a proposed block, up to the maximum block size) is stored
 * raw that way: as base64 inside JSON it was a third larger and went through string checks that failed at
 * several MiB. A payload starting with '{' is the JSON-only format of earlier versions (a block's `bytes` as
 * base64 in its `block` field): still read, record by record, so a WAL left by an upgrade replays as it was.
 * Reading: a torn or truncated LAST record (a crash mid-write) is dropped, and the file truncated to the last
 * good record; a bad record with more data after it is corruption in the middle, and reading stops with a
 * WalCorruptError naming the file and offset: skipping it could forget a signed vote. Telling the two apart
 * means looking for a good record after the bad one; that search checks only plausible headers (a length that
 * fits, a known first payload byte) and checksums at most SCAN_CRC_BUDGET bytes in all, so a torn block record
 * of user-chosen bytes is read in milliseconds (an unbounded search was cubic in the tail: minutes at 8 MiB).
 */
export class WalCorruptError extends Error {
  override name = "WalCorruptError";
}

const HEADER = 8;
const KIND_JSON = 1;
const KIND_JSON_BYTES = 2;
/** The first byte of an earlier version's record payload (bare JSON). */
const OLD_FORMAT_FIRST_BYTE = 0x7b; // "{"
/**
 * The most bytes the search for a good record after a bad one checksums in all (crc32 runs at GB/s, so tens
 * of ms). A tail whose candidates exceed it is taken as torn: only a crash's last write leaves that much
 * header-like data, a record's own payload.
 */
const SCAN_CRC_BUDGET = 64 * 1024 * 1024;
/** No single record is anywhere near this; a larger length is corruption, not a big record. */
const MAX_RECORD = 64 * 1024 * 1024;

export interface WalReadResult<T> {
  records: T[];
  /** Bytes dropped from the end (a torn last record), 0 if none. */
  droppedTail: number;
}

/**
 * Writes all of `bytes` at the file's position: writeSync may take fewer bytes than asked and say so (a disk
 * filling up writes what fits, and the next call fails), and a record cut short there would be dropped as torn
 * at the next start while this process went on acting on it.
 */
function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) {
    const n = writeSync(fd, bytes, done, bytes.byteLength - done);
    if (n <= 0) throw new Error(`the WAL took none of the last ${bytes.byteLength - done} bytes of a record`);
    done += n;
  }
}

function encodeRecord(value: unknown): Buffer {
  const { bytes, ...rest } = value as { bytes?: unknown };
  const parts: Uint8Array[] = [];
  if (bytes instanceof Uint8Array) {
    const json = Buffer.from(JSON.stringify(rest), "utf8");
    const head = Buffer.alloc(5);
    head[0] = KIND_JSON_BYTES;
    head.writeUInt32BE(json.byteLength, 1);
    parts.push(head, json, bytes);
  } else {
    parts.push(Uint8Array.of(KIND_JSON), Buffer.from(JSON.stringify(value), "utf8"));
  }
  const payload = Buffer.concat(parts);
  const header = Buffer.alloc(HEADER);
  header.writeUInt32BE(payload.byteLength, 0);
  header.writeUInt32BE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

/** A checksummed payload back into its record; throws (a message) if it is not a record of this format. */
function decodePayload<T>(payload: Buffer): T {
  const kind = payload[0];
  if (kind === OLD_FORMAT_FIRST_BYTE) return decodeOldPayload<T>(payload);
  if (kind === KIND_JSON) return JSON.parse(payload.subarray(1).toString("utf8")) as T;
  if (kind === KIND_JSON_BYTES && payload.byteLength >= 5) {
    const jsonEnd = 5 + payload.readUInt32BE(1);
    if (jsonEnd > payload.byteLength) throw new Error("its JSON length runs past the record");
    const record = JSON.parse(payload.subarray(5, jsonEnd).toString("utf8")) as Record<string, unknown>;
    const bytes = payload.subarray(jsonEnd);
    record.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return record as T;
  }
  throw new Error(`has an unknown kind ${kind}`);
}

/** An earlier version's record: bare JSON, a block's bytes as base64 in `block` (now `bytes`, raw). */
function decodeOldPayload<T>(payload: Buffer): T {
  const record = JSON.parse(payload.toString("utf8")) as Record<string, unknown>;
  if (typeof record.block === "string") {
    const bytes = fromBase64(record.block);
    if (bytes === undefined) throw new Error("has a block that is not base64");
    record.bytes = bytes;
    delete record.block;
  }
  return record as T;
}

function fsyncDir(path: string): void {
  const fd = openSync(dirname(path), "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether a complete, checksummed record starts anywhere in [from, data.length). Only plausible headers are
 * checksummed (the length fits, the payload starts with a kind byte), and at most SCAN_CRC_BUDGET bytes in
 * all: past that, the rest is taken as a torn record's payload (see SCAN_CRC_BUDGET).
 */
function recordFollows(data: Buffer, from: number): boolean {
  let budget = SCAN_CRC_BUDGET;
  for (let p = from; p + HEADER < data.byteLength; p++) {
    const length = data.readUInt32BE(p);
    if (length === 0 || length > MAX_RECORD || p + HEADER + length > data.byteLength) continue;
    const kind = data[p + HEADER];
    if (kind !== KIND_JSON && kind !== KIND_JSON_BYTES && kind !== OLD_FORMAT_FIRST_BYTE) continue;
    budget -= length;
    if (budget < 0) return false;
    if (crc32(data.subarray(p + HEADER, p + HEADER + length)) === data.readUInt32BE(p + 4)) return true;
  }
  return false;
}

function allZero(data: Buffer, from: number): boolean {
  for (let i = from; i < data.byteLength; i++) if (data[i] !== 0) return false;
  return true;
}

/**
 * Reads every record. What a crash can leave at the end (a partial record, a garbled last record, or a
 * zero-filled extension after power loss) is dropped: saved to `<path>.torn` and truncated away, so appends
 * continue from a clean end. Anything bad that is followed by a good record is corruption in the middle.
 */
export function readWal<T>(path: string): WalReadResult<T> {
  if (!existsSync(path)) return { records: [], droppedTail: 0 };
  const data = readFileSync(path);
  const records: T[] = [];
  let offset = 0;
  const corrupt = (why: string): never => {
    throw new WalCorruptError(
      `${path}: record at offset ${offset} ${why}, and good records follow it: the WAL is corrupt in the middle ` +
      "(refusing to skip it: it could hold a signed vote)",
    );
  };
  while (offset < data.byteLength) {
    if (data.byteLength - offset < HEADER || allZero(data, offset)) break; // torn header or zero-filled tail
    const length = data.readUInt32BE(offset);
    const checksum = data.readUInt32BE(offset + 4);
    const end = offset + HEADER + length;
    if (length === 0 || length > MAX_RECORD || end > data.byteLength) {
      if (recordFollows(data, offset + 1)) corrupt(`has an impossible length (${length})`);
      break; // the last record was cut short
    }
    const payload = data.subarray(offset + HEADER, end);
    if (crc32(payload) !== checksum) {
      if (end < data.byteLength && recordFollows(data, end)) corrupt("fails its checksum");
      break; // the last record is torn
    }
    try {
      records.push(decodePayload<T>(payload));
    } catch (err) {
      corrupt(`has a valid checksum but is not a record (${(err as Error).message})`);
    }
    offset = end;
  }
  const droppedTail = data.byteLength - offset;
  if (droppedTail > 0) {
    writeFileSync(`${path}.torn`, data.subarray(offset)); // kept for inspection, never replayed
    const fd = openSync(path, "r+");
    try {
      ftruncateSync(fd, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  return { records, droppedTail };
}

/**
 * The height a WAL belongs to (its first record, { t: "height", height }), reading only that record; undefined
 * if there is no such file or it does not start with a readable height record.
 */
export function walHeight(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const fd = openSync(path, "r");
  try {
    const header = Buffer.alloc(HEADER);
    if (readSync(fd, header, 0, HEADER, 0) < HEADER) return undefined;
    const length = header.readUInt32BE(0);
    if (length === 0 || length > 4096) return undefined; // a height record is tiny
    const payload = Buffer.alloc(length);
    if (readSync(fd, payload, 0, length, HEADER) < length) return undefined;
    if (crc32(payload) !== header.readUInt32BE(4)) return undefined;
    const record = decodePayload<{ t?: unknown; height?: unknown }>(payload);
    return record.t === "height" && typeof record.height === "number" ? record.height : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Closes `fd` on libuv's thread pool: closing the last descriptor of a replaced (unlinked) file frees its
 * blocks, which ext4 does inside close(): milliseconds for a height that carried a large block.
 */
function closeOffThread(fd: number): Promise<void> {
  return new Promise<void>((resolve, reject) => close(fd, (err) => (err ? reject(err) : resolve())));
}

/** Resolves once every promise has settled; rejects with the first failure, but only then. */
async function allOrFirstError(promises: Promise<unknown>[]): Promise<void> {
  for (const r of await Promise.allSettled(promises)) if (r.status === "rejected") throw r.reason;
}

export class Wal<T> {
  private readonly path: string;
  private readonly fsyncer: Fsyncer;
  private fd: number;
  /** Group commit: one fsync serves every record appended before it started. */
  private readonly flushes: CoalescedJob;
  /** The last `reset`'s file and name on their way to disk; undefined once they are there. */
  private settling: Promise<void> | undefined;
  /** The close of the file the last `reset` replaced. */
  private closing: Promise<void> | undefined;
  private closed = false;

  private constructor(path: string, fd: number, fsyncer: Fsyncer) {
    this.path = path;
    this.fd = fd;
    this.fsyncer = fsyncer;
    this.flushes = new CoalescedJob(async () => {
      await this.settling; // the file and its name first (a reset's), then what was appended to it
      await this.fsyncer.fsync(this.fd);
    });
  }

  /**
   * Opens (creating if needed) for appending. Call readWal first: it repairs a torn tail. What the file
   * already holds is made durable here, once: a crashed process may have left records in the page cache that
   * it never flushed (so never acted on outside), and a replay is about to act on them.
   */
  static open<T>(path: string, fsyncer: Fsyncer = threadPoolFsync): Wal<T> {
    const fd = openSync(path, "a");
    fsyncSync(fd);
    fsyncDir(path);
    return new Wal<T>(path, fd, fsyncer);
  }

  /**
   * Appends a record: written to the file (the OS has it: a killed process loses nothing), not yet durable
   * against power loss. `flush` makes it so.
   */
  append(record: T): void {
    writeAll(this.fd, encodeRecord(record));
  }

  /**
   * Resolves once every record appended before this call is on disk. Off the main thread, and grouped: the
   * records of one tick (and those appended while an earlier fsync runs) share one fsync.
   */
  flush(): Promise<void> {
    return this.flushes.request();
  }

  /**
   * Replaces the whole log with `records` (the next height's file begins). The switch itself is done when
   * this resolves: the records are written to a temp file renamed over the log, and appends go to the new
   * file. Its durability (the file's fsync, and the directory's for its name) runs on libuv's thread pool
   * meanwhile (the old file's close too, which nothing waits for but `close`), and the next `flush` waits
   * for it: so nothing signed in the new file leaves before the file and its name are on disk, and the next
   * height's proposal is built while the disk works (before, the two fsyncs ran between the commit and the
   * next height's start: 45-80 ms a height of a 1-validator chain under load). Power loss before then may
   * leave the old file in place, or the new one empty or torn: the old file's height is committed (the
   * driver replaces the log only after its block is durable) and nothing of the new one has left the node,
   * so starting the height afresh or reading back what is there (a torn tail dropped) is safe. One case is
   * refused instead: a file system that wrote back a later page of the new file and not an earlier one
   * leaves a hole with good records after it, which `readWal` takes for corruption in the middle (as it
   * would for a hole in records appended and never flushed, a risk older than this).
   */
  async reset(records: T[]): Promise<void> {
    // Nothing running or queued on the file being replaced, and the last reset on disk (its failure thrown
    // here). Each wait lets new flushes in, so look again until a synchronous check finds both quiet.
    while (this.settling !== undefined || this.flushes.busy) {
      await this.settling;
      await this.flushes.idle();
    }
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      for (const r of records) writeAll(fd, encodeRecord(r));
      renameSync(tmp, this.path);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    const replaced = this.fd;
    this.fd = fd;
    // Both run to their end before `settling` is done, a failure or not: nothing is closed under an fsync.
    const settling = allOrFirstError([this.fsyncer.fsync(fd), this.fsyncDir()]);
    this.settling = settling;
    // The old file's close frees its blocks and makes nothing durable: not something a flush waits for. Its
    // failure (on a file already replaced) loses nothing.
    const closing = closeOffThread(replaced).catch(() => {});
    this.closing = closing;
    // A failure stays in `settling`: every later flush and reset rejects with it (never retried, as
    // CoalescedJob). Registered first, so it clears `settling` before any waiter on it runs.
    settling.then(() => (this.settling === settling ? (this.settling = undefined) : undefined), () => {});
  }

  /** fsyncs the log's directory (a rename's durability), on libuv's thread pool. */
  private async fsyncDir(): Promise<void> {
    const dir = openSync(dirname(this.path), "r");
    try {
      await this.fsyncer.fsync(dir);
    } finally {
      closeSync(dir);
    }
  }

  get size(): number {
    return fstatSync(this.fd).size;
  }

  /**
   * Closes once no fsync is running or queued on the file (looking again after each wait, as `reset`). Once:
   * a second close would close whatever file has been given the descriptor's number since. A failed fsync
   * is not thrown here: it was its flush's (and the node stops on that).
   */
  async close(): Promise<void> {
    while (this.settling !== undefined || this.flushes.busy) {
      const settling = this.settling;
      await settling?.catch(() => {});
      if (this.settling === settling) this.settling = undefined; // failed: nothing else runs on it
      await this.flushes.idle();
    }
    await this.closing;
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

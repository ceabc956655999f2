import type { Level } from "level";
import { concatBytes, equalBytes, readU64be } from "../../crypto/bytes.ts";
import { PrunedHeightError } from "../tree/errors.ts";
import { BUCKET, bucketKey, historyKey, historyPrefix, LATEST_HEIGHT_KEY, prefixEnd } from "./buckets.ts";

/**
 * Reads of the state at a height: a page of entries under a prefix (the latest-value bucket while the height
 * is the latest, else the per-height history bucket), and one key's history entry in force at a height.
 */

/**
 * Versions of one key a historical scan reads in order before it seeks instead: reading on in order is a
 * batched ~1 µs per entry, a seek a round trip of tens of µs, so few versions are read and many jumped.
 */
const FEW_VERSIONS = 16;

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

export interface StateScanOptions {
  prefix: Uint8Array;
  keyLength: number;
  /** The state at the end of this height; the latest-value bucket serves it while it is the latest. */
  height: number;
  after?: Uint8Array;
  limit: number;
  maxVisits?: number;
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
export async function scanState(
  db: Level<Uint8Array, Uint8Array>,
  opts: StateScanOptions,
  oldest: number,
): Promise<StateScan> {
  const { prefix, keyLength, height, after, limit } = opts;
  const maxVisits = opts.maxVisits ?? Number.POSITIVE_INFINITY;
  const scan: StateScan = { entries: [], visited: 0, lastKey: undefined, done: false };
  // The latest values are cheapest to scan, but a block may commit during the scan: read them through a
  // snapshot, and only if that snapshot is exactly at `height` (else fall through to the history).
  const snapshot = db.snapshot();
  try {
    const latest = await db.get(LATEST_HEIGHT_KEY, { snapshot });
    if (latest !== undefined && readU64be(latest) === height) {
      const start = bucketKey(BUCKET.stateLatest, after ?? prefix);
      for await (const [key, value] of db.iterator({
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
  if (height < oldest) throw new PrunedHeightError(height, oldest);
  // History keys sort by (state key, height): each key's versions are consecutive, read in order. A key
  // with more than FEW_VERSIONS versions is not walked to its end: one reverse seek finds the version in
  // force at `height` and a forward seek jumps past the rest. A key rewritten at every height then costs
  // what a key written a few times does (walking every version made a page O(all versions ever)), while
  // keys with few versions keep the iterator's batched sequential reads (a seek costs a round trip).
  const len = Uint8Array.of(keyLength >> 8, keyLength & 0xff);
  const base = bucketKey(BUCKET.stateHistory, len);
  const end = concatBytes(base, prefixEnd(prefix));
  const from = after === undefined ? concatBytes(base, prefix) : historyKey(after, Number.MAX_SAFE_INTEGER);
  const forward = db.iterator({ gt: from, lt: end });
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
      if (at < height) value = await historyEntryAt(db, current, height);
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
export async function historyEntryAt(
  db: Level<Uint8Array, Uint8Array>,
  key: Uint8Array,
  height: number,
): Promise<Uint8Array | undefined> {
  for await (const [, value] of db.iterator({
    gte: historyPrefix(key),
    lte: historyKey(key, height),
    reverse: true,
    limit: 1,
  })) {
    return value;
  }
  return undefined;
}

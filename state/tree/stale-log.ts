import { u64be } from "../../crypto/bytes.ts";
import { BUCKET, bucketKey } from "../store/buckets.ts";

/**
 * Entries of one stale-log record at most: pruning deletes one record's entries in one batch, so this bounds
 * a pruning batch (a state-key entry deletes that key's superseded history versions: usually one or two).
 */
export const STALE_ENTRIES_PER_RECORD = 1024;

const NODE_ENTRY = 0;
const HISTORY_ENTRY = 1;

/** What one block made stale: replaced tree nodes, and state keys whose older history it superseded. */
export interface StaleEntries {
  nodeKeys: Uint8Array[];
  stateKeys: Uint8Array[];
}

export function staleRecordKey(height: number, chunk: number): Uint8Array {
  const c = Uint8Array.of(chunk >>> 24, (chunk >>> 16) & 0xff, (chunk >>> 8) & 0xff, chunk & 0xff);
  return bucketKey(BUCKET.treeStale, u64be(height), c);
}

/** kind || u16 BE length || bytes, written at `at` of `out`; returns where the next entry begins. */
function writeEntry(out: Uint8Array, at: number, kind: number, bytes: Uint8Array): number {
  out[at] = kind;
  out[at + 1] = bytes.byteLength >> 8;
  out[at + 2] = bytes.byteLength & 0xff;
  out.set(bytes, at + 3);
  return at + 3 + bytes.byteLength;
}

/**
 * The records of a block's stale log: each entry is kind (0 node key, 1 state key) || u16 BE length || bytes,
 * STALE_ENTRIES_PER_RECORD entries a record. One record per thousand entries, not one LevelDB key per stale
 * node as Jellyfish writes: the block's batch stays small (a 10,000-transfer block replaces ~10^5 nodes).
 * Each record is written into one array sized first: no array per entry (a block that creates accounts makes
 * about five stale entries per tx).
 */
export function staleRecords(height: number, stale: StaleEntries): { key: Uint8Array; value: Uint8Array }[] {
  const { nodeKeys, stateKeys } = stale;
  const total = nodeKeys.length + stateKeys.length;
  const at = (i: number) => (i < nodeKeys.length ? nodeKeys[i] : stateKeys[i - nodeKeys.length]);
  const records: { key: Uint8Array; value: Uint8Array }[] = [];
  for (let first = 0; first < total; first += STALE_ENTRIES_PER_RECORD) {
    const end = Math.min(first + STALE_ENTRIES_PER_RECORD, total);
    let size = 0;
    for (let i = first; i < end; i++) size += 3 + at(i).byteLength;
    const value = new Uint8Array(size);
    let offset = 0;
    for (let i = first; i < end; i++) {
      offset = writeEntry(value, offset, i < nodeKeys.length ? NODE_ENTRY : HISTORY_ENTRY, at(i));
    }
    records.push({ key: staleRecordKey(height, first / STALE_ENTRIES_PER_RECORD), value });
  }
  return records;
}

export function decodeStaleRecord(value: Uint8Array): StaleEntries {
  const out: StaleEntries = { nodeKeys: [], stateKeys: [] };
  let at = 0;
  while (at < value.byteLength) {
    if (at + 3 > value.byteLength) throw new Error("a stale-log record is truncated");
    const kind = value[at];
    const len = (value[at + 1] << 8) | value[at + 2];
    const bytes = value.slice(at + 3, at + 3 + len);
    if (bytes.byteLength !== len) throw new Error("a stale-log record is truncated");
    if (kind === NODE_ENTRY) out.nodeKeys.push(bytes);
    else if (kind === HISTORY_ENTRY) out.stateKeys.push(bytes);
    else throw new Error(`a stale-log record has an entry of unknown kind ${kind}`);
    at += 3 + len;
  }
  return out;
}

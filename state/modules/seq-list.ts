import { readU64be, u64be } from "../../crypto/bytes.ts";
import { stateKey } from "../keys.ts";
import { keyId, type Overlay, type StateReader } from "../view.ts";

/**
 * A list in the state kept as one key per entry plus a count, so appending costs O(1) however long the
 * list is (one value rewritten whole by every append made a block of n appends O(n^2)). `part` names the
 * list under the two prefixes: entries at <entries><part><seq 4>, the count at <counts><part> (8 bytes).
 * The queues of unbondings and expiring inferences are such lists.
 */
export interface SeqList {
  entries: Uint8Array;
  counts: Uint8Array;
}

export function seqCount(view: StateReader, list: SeqList, part: Uint8Array): number {
  const raw = view.get(stateKey(list.counts, part));
  return raw === undefined ? 0 : readU64be(raw);
}

export function seqKey(list: SeqList, part: Uint8Array, seq: number): Uint8Array {
  const s = new Uint8Array(4);
  new DataView(s.buffer).setUint32(0, seq);
  return stateKey(list.entries, part, s);
}

/** More entries than a list can number (4-byte positions): far beyond what blocks could ever append. */
const MAX_ENTRIES = 0xffff_ffff;

export function seqPush(view: Overlay, list: SeqList, part: Uint8Array, value: Uint8Array): void {
  const n = seqCount(view, list, part);
  if (n >= MAX_ENTRIES) throw new Error("a state list is full: a bug, not a transaction error");
  view.set(seqKey(list, part, n), value);
  view.set(stateKey(list.counts, part), u64be(n + 1));
}

/** The distinct values of a list, in order. */
export function seqValues(view: StateReader, list: SeqList, part: Uint8Array): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (let seq = 0, n = seqCount(view, list, part); seq < n; seq++) {
    const value = view.get(seqKey(list, part, seq));
    // The count and the entries are written together: a gap is corrupt state, not something to skip.
    if (value === undefined) throw new Error(`a state list has no entry ${seq} of ${n}`);
    if (seen.has(keyId(value))) continue;
    seen.add(keyId(value));
    out.push(value);
  }
  return out;
}

export function seqClear(view: Overlay, list: SeqList, part: Uint8Array): void {
  const n = seqCount(view, list, part);
  if (n === 0) return;
  for (let seq = 0; seq < n; seq++) view.delete(seqKey(list, part, seq));
  view.delete(stateKey(list.counts, part));
}

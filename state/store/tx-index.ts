import { BUCKET } from "./buckets.ts";

/**
 * The search index's key layout. One entry per (term, item): BUCKET.txIndex || kind || u16 BE term length ||
 * term (UTF-8) || u64 BE height || u32 BE position -> empty value. All items of one term sort by height, then
 * by place in the block, so a search is one LevelDB range scan in either direction, and a cursor is just the
 * (height, position) of the last item returned.
 */
export const INDEX_KIND = {
  /** A bech32 address the item involves (sender, recipient, payer, owner, validator, ...). */
  address: 0x61, // 'a'
  /** The tx's message type (transfer, create_datanet, ...). */
  type: 0x74, // 't'
  /**
   * One event attribute that names a thing: `eventType \0 attribute \0 value` (the ids of datanets,
   * contributions, models, inferences, ...). Attributes whose value is an address are found through the
   * address kind instead, and amounts (UNINDEXED_ATTRIBUTES) are not indexed: they name nothing.
   */
  event: 0x65, // 'e'
} as const;

export type IndexKind = keyof typeof INDEX_KIND;

/** A block's own events sort after every tx of the block: their position is this. */
export const BLOCK_EVENTS_POSITION = 0xffff_ffff;

/**
 * Most index entries one tx makes; a tx whose message and events name more terms is indexed by the first
 * ones in this order: its type, its sender, addresses in its message, addresses in its events, event attributes.
 */
export const MAX_INDEX_ENTRIES_PER_TX = 64;
/** Most index entries a block's own events make (a validator set change names every validator). */
export const MAX_INDEX_ENTRIES_PER_BLOCK_EVENTS = 1024;
/** Longest term indexed (bytes of UTF-8); a longer event value is not indexed (found only by its other terms). */
export const MAX_INDEX_TERM_BYTES = 256;

/** Event attributes that are quantities, not names: never indexed (a search filters on them only alongside another filter). */
export const UNINDEXED_ATTRIBUTES: ReadonlySet<string> = new Set(["amount", "refund", "price", "height", "until", "missed"]);

/**
 * Events whose addresses are not indexed as addresses of the tx: the fee's payer is the sender, and its
 * recipient is the block's proposer, which would otherwise be named by every tx of the chain.
 */
export const UNINDEXED_ADDRESS_EVENTS: ReadonlySet<string> = new Set(["fee"]);

export interface IndexTerm {
  kind: IndexKind;
  value: string;
}

export function eventTerm(type: string, attribute: string, value: string): string {
  return `${type}\u0000${attribute}\u0000${value}`;
}

/** Writes `text` as UTF-8 at `at` in `out` (ASCII, nearly every term, byte by byte); returns its length. */
function writeUtf8(text: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return encoder.encodeInto(text, out.subarray(at)).written;
    out[at + i] = c;
  }
  return text.length;
}

const encoder = new TextEncoder();
const HEADER_BYTES = 4; // bucket, kind, u16 term length
const PLACE_BYTES = 12; // u64 height, u32 position

/**
 * The key of one term at (height, position); `place: false` gives the term's prefix only. Built in one
 * buffer: a block of transfers makes a few keys per tx, and this runs for every one of them at commit.
 */
function termKey(term: IndexTerm, height: number, position: number, place: boolean): Uint8Array | undefined {
  const out = new Uint8Array(HEADER_BYTES + term.value.length * 3 + PLACE_BYTES);
  const n = writeUtf8(term.value, out, HEADER_BYTES);
  if (n > MAX_INDEX_TERM_BYTES) return undefined;
  out[0] = BUCKET.txIndex;
  out[1] = INDEX_KIND[term.kind];
  out[2] = n >> 8;
  out[3] = n & 0xff;
  const end = HEADER_BYTES + n;
  if (!place) return out.slice(0, end);
  const view = new DataView(out.buffer);
  // Heights are below 2^53: the high word and the low word of a u64.
  view.setUint32(end, Math.floor(height / 2 ** 32));
  view.setUint32(end + 4, height >>> 0);
  view.setUint32(end + 8, position);
  return out.slice(0, end + PLACE_BYTES);
}

/** Every key of one term starts with this. */
export function indexPrefix(term: IndexTerm): Uint8Array {
  const prefix = termKey(term, 0, 0, false);
  if (prefix === undefined) throw new Error(`a term of over ${MAX_INDEX_TERM_BYTES} bytes is never indexed`);
  return prefix;
}

export function indexKey(prefix: Uint8Array, height: number, position: number): Uint8Array {
  const out = new Uint8Array(prefix.byteLength + PLACE_BYTES);
  out.set(prefix);
  const view = new DataView(out.buffer);
  view.setUint32(prefix.byteLength, Math.floor(height / 2 ** 32));
  view.setUint32(prefix.byteLength + 4, height >>> 0);
  view.setUint32(prefix.byteLength + 8, position);
  return out;
}

/** The (height, position) a key of the term with this prefix names. */
export function indexPlace(key: Uint8Array, prefixLength: number): { height: number; position: number } {
  const view = new DataView(key.buffer, key.byteOffset + prefixLength, PLACE_BYTES);
  return { height: view.getUint32(0) * 2 ** 32 + view.getUint32(4), position: view.getUint32(8) };
}

/** The index keys of one item: each distinct term once (longer than MAX_INDEX_TERM_BYTES: none), the first `max`. */
export function indexKeys(terms: readonly IndexTerm[], height: number, position: number, max: number): Uint8Array[] {
  const keys: Uint8Array[] = [];
  const seen = new Set<string>();
  for (const t of terms) {
    if (keys.length >= max) break;
    const id = t.kind + t.value;
    if (seen.has(id)) continue;
    seen.add(id);
    const key = termKey(t, height, position, true);
    if (key !== undefined) keys.push(key);
  }
  return keys;
}

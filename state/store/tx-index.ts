import { concatBytes, readU64be, u64be, utf8 } from "../../crypto/bytes.ts";
import { BUCKET, bucketKey } from "./buckets.ts";

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
  /** One event attribute: `eventType \0 attribute \0 value` (ids of datanets, models, inferences, ...). */
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
/** Longest term indexed (bytes of UTF-8); a longer event value is not indexed (not searchable). */
export const MAX_INDEX_TERM_BYTES = 256;

export interface IndexTerm {
  kind: IndexKind;
  value: string;
}

export function eventTerm(type: string, attribute: string, value: string): string {
  return `${type}\u0000${attribute}\u0000${value}`;
}

/** Every key of one term starts with this. */
export function indexPrefix(term: IndexTerm): Uint8Array {
  const bytes = utf8(term.value);
  const len = Uint8Array.of(bytes.byteLength >> 8, bytes.byteLength & 0xff);
  return bucketKey(BUCKET.txIndex, Uint8Array.of(INDEX_KIND[term.kind]), len, bytes);
}

const POSITION_BYTES = 4;

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(POSITION_BYTES);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

export function indexKey(prefix: Uint8Array, height: number, position: number): Uint8Array {
  return concatBytes(prefix, u64be(height), u32be(position));
}

/** The (height, position) a key of the term with this prefix names. */
export function indexPlace(key: Uint8Array, prefixLength: number): { height: number; position: number } {
  const height = readU64be(key.subarray(prefixLength, prefixLength + 8));
  const position = new DataView(key.buffer, key.byteOffset + prefixLength + 8, POSITION_BYTES).getUint32(0);
  return { height, position };
}

/** The index keys of one item: each distinct, fitting term once, the first `max` of them. */
export function indexKeys(terms: readonly IndexTerm[], height: number, position: number, max: number): Uint8Array[] {
  const keys: Uint8Array[] = [];
  const seen = new Set<string>();
  for (const t of terms) {
    if (keys.length >= max) break;
    const id = `${t.kind}:${t.value}`;
    if (seen.has(id) || t.value.length > MAX_INDEX_TERM_BYTES) continue;
    const prefix = indexPrefix(t);
    if (prefix.byteLength > MAX_INDEX_TERM_BYTES + 4) continue;
    seen.add(id);
    keys.push(indexKey(prefix, height, position));
  }
  return keys;
}

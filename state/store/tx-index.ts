import { ADDRESS_LENGTH, decodeAddress } from "../../crypto/address.ts";
import { BUCKET } from "./buckets.ts";

/**
 * The search index's key layout. One entry per (term, item), an empty value:
 *
 *   BUCKET.txIndex || kind || term || height || position
 *
 * - an address term is the address's 20 raw bytes (not its bech32 text: 20 bytes instead of 42, and no
 *   bech32 encoding at commit);
 * - a type or event term is u16 BE length || UTF-8 text (the length keeps "stake" from prefixing "stake_more");
 * - height and position are each one length byte n, then the number in n big-endian bytes without leading
 *   zeros (0 is n = 0): a key of a recent block's tx carries 4-7 bytes of place instead of 12, and the order
 *   is still numeric (a shorter number is a smaller one).
 *
 * All items of one term sort by height, then by place in the block, so a search is one LevelDB range scan in
 * either direction, and a cursor is just the (height, position) of the last item returned. (This layout
 * replaced, in the same week the index appeared, one of bech32 address text and fixed u64/u32 places; an
 * index written by that code is not read by this one: a node's [index] is rebuilt by syncing a fresh data
 * directory, there is no migration.)
 */
export const INDEX_KIND = {
  /** An address the item involves (sender, recipient, payer, owner, validator, ...); keyed by its raw bytes. */
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
/** Bucket and kind bytes. */
const KIND_BYTES = 2;
/** A text term's length. */
const LENGTH_BYTES = 2;
/** The longest place: a height below 2^53 (7 bytes) and a u32 position, each with its length byte. */
export const MAX_PLACE_BYTES = 1 + 7 + 1 + 4;

/** The key prefix of a text term (type, event); undefined if its UTF-8 is over MAX_INDEX_TERM_BYTES. */
export function textTermPrefix(kind: "type" | "event", text: string): Uint8Array | undefined {
  const out = new Uint8Array(KIND_BYTES + LENGTH_BYTES + text.length * 3);
  const n = writeUtf8(text, out, KIND_BYTES + LENGTH_BYTES);
  if (n > MAX_INDEX_TERM_BYTES) return undefined;
  out[0] = BUCKET.txIndex;
  out[1] = INDEX_KIND[kind];
  out[2] = n >> 8;
  out[3] = n & 0xff;
  return out.slice(0, KIND_BYTES + LENGTH_BYTES + n);
}

/** The key prefix of an address term: its 20 raw bytes. */
export function addressTermPrefix(address: Uint8Array): Uint8Array {
  const out = new Uint8Array(KIND_BYTES + ADDRESS_LENGTH);
  out[0] = BUCKET.txIndex;
  out[1] = INDEX_KIND.address;
  out.set(address, KIND_BYTES);
  return out;
}

/** Writes n (below 2^53) as a length byte and its big-endian bytes without leading zeros; returns the end. */
function writePlaceNumber(n: number, out: Uint8Array, at: number): number {
  let length = 0;
  for (let x = n; x > 0; x = Math.floor(x / 256)) length++;
  out[at] = length;
  for (let i = length, x = n; i >= 1; i--, x = Math.floor(x / 256)) out[at + i] = x % 256;
  return at + 1 + length;
}

function readPlaceNumber(key: Uint8Array, at: number): { value: number; end: number } {
  const length = key[at];
  let value = 0;
  for (let i = 1; i <= length; i++) value = value * 256 + key[at + i];
  return { value, end: at + 1 + length };
}

/** Writes (height, position) at `at` in `out`; returns the end. */
export function writePlace(height: number, position: number, out: Uint8Array, at: number): number {
  return writePlaceNumber(position, out, writePlaceNumber(height, out, at));
}

/** Every key of one term starts with this (an address term's value is its bech32 text). */
export function indexPrefix(term: IndexTerm): Uint8Array {
  if (term.kind === "address") return addressTermPrefix(decodeAddress(term.value));
  const prefix = textTermPrefix(term.kind, term.value);
  if (prefix === undefined) throw new Error(`a term of over ${MAX_INDEX_TERM_BYTES} bytes is never indexed`);
  return prefix;
}

export function indexKey(prefix: Uint8Array, height: number, position: number): Uint8Array {
  const out = new Uint8Array(prefix.byteLength + MAX_PLACE_BYTES);
  out.set(prefix);
  return out.slice(0, writePlace(height, position, out, prefix.byteLength));
}

/** The (height, position) a key of the term with this prefix names. */
export function indexPlace(key: Uint8Array, prefixLength: number): { height: number; position: number } {
  const height = readPlaceNumber(key, prefixLength);
  return { height: height.value, position: readPlaceNumber(key, height.end).value };
}

/**
 * The index keys of one item: each distinct term once (longer than MAX_INDEX_TERM_BYTES: none), the first
 * `max`. The search side's form (terms as text); commit builds the same keys from its terms directly
 * (state/index-terms.ts blockIndexKeys).
 */
export function indexKeys(terms: readonly IndexTerm[], height: number, position: number, max: number): Uint8Array[] {
  const keys: Uint8Array[] = [];
  const seen = new Set<string>();
  for (const t of terms) {
    if (keys.length >= max) break;
    const id = t.kind + t.value;
    if (seen.has(id)) continue;
    seen.add(id);
    const prefix = t.kind === "address" ? addressTermPrefix(decodeAddress(t.value)) : textTermPrefix(t.kind, t.value);
    if (prefix !== undefined) keys.push(indexKey(prefix, height, position));
  }
  return keys;
}

import { ADDRESS_LENGTH, ADDRESS_PREFIX, decodeAddress, encodeAddress } from "../crypto/address.ts";
import type { TxEvent, TxResult } from "../proto/records.ts";
import type { DecodedTx, TxMsg } from "../proto/tx.ts";
import { shortBytesId } from "../crypto/bytes.ts";
import type { BatchSink } from "./store/batch-sink.ts";
import {
  addressTermPrefix,
  BLOCK_EVENTS_POSITION,
  eventTerm,
  type IndexTerm,
  MAX_INDEX_ENTRIES_PER_BLOCK_EVENTS,
  MAX_INDEX_ENTRIES_PER_TX,
  MAX_PLACE_BYTES,
  textTermPrefix,
  UNINDEXED_ADDRESS_EVENTS,
  UNINDEXED_ATTRIBUTES,
  writePlace,
} from "./store/tx-index.ts";

/**
 * The event attributes whose values are addresses the module wrote (state/execute.ts, state/modules/*): only
 * these are indexed as addresses. A free-text attribute that happens to read like an address (a datanet's
 * name) must not plant a tx in that address's history (address poisoning): it is an event term like any text.
 */
export const ADDRESS_ATTRIBUTES: ReadonlySet<string> = new Set([
  "address",
  "contributor",
  "delegator",
  "operator",
  "owner",
  "payer",
  "recipient",
  "reviewer",
  "sender",
  "slasher",
  "validator",
]);

/** A valid bech32 `opl1...` address (checksum included). */
export function isAddressText(value: string): boolean {
  if (!value.startsWith(`${ADDRESS_PREFIX}1`)) return false;
  try {
    decodeAddress(value);
    return true;
  } catch {
    return false;
  }
}

/** Whether an event attribute holds an address the module wrote (found through the address index). */
export function isAddressAttribute(attribute: string, value: string): boolean {
  return ADDRESS_ATTRIBUTES.has(attribute) && isAddressText(value);
}

/**
 * Where a walk over an item's terms sends them, in the order they count against the per-item bound. The walk
 * is shared by commit (which keys addresses by their raw bytes and wants no bech32 text) and by search (which
 * reads terms back as text to filter an item): both see the same terms in the same order.
 */
interface TermSink {
  text(kind: "type" | "event", value: string): void;
  /** An address given as its 20 bytes (the sender, a message's address fields). */
  address(address: Uint8Array): void;
  /** An address attribute's value: the sink indexes it if it holds a valid address. */
  addressText(value: string): void;
  /** Whether an attribute's value is indexed as an address (then not again as an event term). */
  isAddressAttribute(attribute: string, value: string): boolean;
}

/** Addresses a message names directly (a transfer's recipient, a model's operators): its 20-byte fields. */
function msgAddresses(msg: TxMsg, sink: TermSink): void {
  // for-in visits the own fields in Object.values' order (messages are plain objects), without an array of
  // them per tx.
  for (const field in msg) {
    const v = (msg as unknown as Record<string, unknown>)[field];
    if (v instanceof Uint8Array && v.byteLength === ADDRESS_LENGTH) sink.address(v);
    else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (x instanceof Uint8Array && x.byteLength === ADDRESS_LENGTH) sink.address(x);
      }
    }
  }
}

/** Whether an event attribute is indexed as an event term (else found by address, or not at all). */
export function isIndexedAttribute(attribute: string, value: string): boolean {
  return !UNINDEXED_ATTRIBUTES.has(attribute) && !isAddressAttribute(attribute, value);
}

function eventTerms(events: readonly TxEvent[], sink: TermSink): void {
  // Indexed loops (no iterator object per step: this runs per tx at commit).
  // Addresses first: under the per-item bound, who was involved matters more than what was named.
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (UNINDEXED_ADDRESS_EVENTS.has(e.type)) continue;
    for (let j = 0; j < e.attributes.length; j++) {
      const a = e.attributes[j];
      if (ADDRESS_ATTRIBUTES.has(a.key)) sink.addressText(a.value);
    }
  }
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    for (let j = 0; j < e.attributes.length; j++) {
      const a = e.attributes[j];
      if (UNINDEXED_ATTRIBUTES.has(a.key) || sink.isAddressAttribute(a.key, a.value)) continue;
      sink.text("event", eventTerm(e.type, a.key, a.value));
    }
  }
}

/**
 * What a committed tx is found by, most important first (at most MAX_INDEX_ENTRIES_PER_TX are kept): its
 * message type, its sender, the addresses its message names, the addresses in its events (payer, recipient,
 * owner, contributor, operator, validator...; not the fee's), then the event attributes that name things (the
 * ids of datanets, contributions, models, inferences; not amounts, not addresses again).
 * Deterministic: the same tx and result give the same terms.
 */
function walkTxTerms(tx: DecodedTx, result: TxResult, sink: TermSink): void {
  sink.text("type", tx.body.msg.type);
  sink.address(tx.sender);
  msgAddresses(tx.body.msg, sink);
  eventTerms(result.events, sink);
}

/** Collects terms as text (search reads an item's terms back this way to check its filters). */
function textSink(out: IndexTerm[]): TermSink {
  return {
    text: (kind, value) => out.push({ kind, value }),
    address: (address) => out.push({ kind: "address", value: encodeAddress(address) }),
    addressText: (value) => {
      if (isAddressText(value)) out.push({ kind: "address", value });
    },
    isAddressAttribute,
  };
}

/** A committed tx's terms, as text (see walkTxTerms for what and in which order). */
export function txIndexTerms(tx: DecodedTx, result: TxResult): IndexTerm[] {
  const out: IndexTerm[] = [];
  walkTxTerms(tx, result, textSink(out));
  return out;
}

/** What a block's own events are found by: the addresses they name, then every attribute. */
export function blockEventTerms(events: readonly TxEvent[]): IndexTerm[] {
  const out: IndexTerm[] = [];
  eventTerms(events, textSink(out));
  return out;
}

/**
 * Builds a block's index keys from its terms' key prefixes, each prefix made once per block: a block's txs
 * share their type, and senders and recipients recur. An address attribute's text is found without decoding
 * when the tx named the address as bytes (its sender, a message field: each such address is encoded once per
 * block), else decoded once per block (its checksum checked). One item's terms are de-duplicated by prefix
 * identity (a term has one prefix object per block), and all keys of the block are views of one buffer.
 */
class BlockKeys implements TermSink, BlockIndexTerms {
  // The three lookups below serve the walk only; sealed() empties them, so a block's terms held until its
  // commit are the flat arrays alone.
  /** term id (kind letter + text) -> its prefix (undefined: too long) */
  private readonly prefixes = new Map<string, Uint8Array | undefined>();
  /** an address's bytes as UTF-16 units (shortBytesId) -> its prefix (a map of its own: no "a" + id string) */
  private readonly addressPrefixes = new Map<string, Uint8Array>();
  /** an address attribute's text -> the address's prefix, or null if the text is no valid address */
  private readonly addressTexts = new Map<string, Uint8Array | null>();
  /**
   * Every item's prefixes, in order, each once per item, in one array: item i's are prefixes[ends[i - 1] ..
   * ends[i]) (no array and no entry object per tx).
   */
  private readonly prefixesFlat: Uint8Array[] = [];
  private readonly ends: number[] = [];
  private readonly positions: number[] = [];
  private itemStart = 0;
  private itemMax = 0;
  private readonly height: number;

  constructor(height: number) {
    this.height = height;
  }

  /** Starts the terms of the item at `position`, at most `max` of them; the caller walks them, then end(). */
  begin(position: number, max: number): void {
    this.itemStart = this.prefixesFlat.length;
    this.itemMax = max;
    this.positions.push(position);
  }

  end(): void {
    this.ends.push(this.prefixesFlat.length);
  }

  text(kind: "type" | "event", value: string): void {
    const id = (kind === "type" ? "t" : "e") + value;
    let prefix = this.prefixes.get(id);
    if (prefix === undefined && !this.prefixes.has(id)) {
      prefix = textTermPrefix(kind, value);
      this.prefixes.set(id, prefix);
    }
    this.take(prefix);
  }

  address(address: Uint8Array): void {
    this.take(this.addressPrefix(address));
  }

  addressText(value: string): void {
    const prefix = this.addressTextPrefix(value);
    if (prefix !== null) this.take(prefix);
  }

  isAddressAttribute(attribute: string, value: string): boolean {
    return ADDRESS_ATTRIBUTES.has(attribute) && this.addressTextPrefix(value) !== null;
  }

  /** Done walking: the lookups are emptied (see above) and no more terms may be added. */
  sealed(): BlockIndexTerms {
    this.prefixes.clear();
    this.addressPrefixes.clear();
    this.addressTexts.clear();
    return this;
  }

  /**
   * Every key, in item order. Indexed loops, not for-of: this runs once per block, mostly unoptimized, where
   * each step of an iterator is an object (two loops over every key of the block).
   */
  keys(): Uint8Array[] {
    const prefixes = this.prefixesFlat;
    let bytes = 0;
    for (let j = 0; j < prefixes.length; j++) bytes += prefixes[j].byteLength + MAX_PLACE_BYTES;
    const buffer = new Uint8Array(bytes);
    const keys: Uint8Array[] = new Array<Uint8Array>(prefixes.length);
    const place = new Uint8Array(MAX_PLACE_BYTES);
    let at = 0;
    let j = 0;
    for (let k = 0; k < this.ends.length; k++) {
      const placeLength = writePlace(this.height, this.positions[k], place, 0); // once per item: its keys share it
      for (; j < this.ends[k]; j++) {
        const p = prefixes[j];
        buffer.set(p, at);
        const start = at;
        at += p.byteLength;
        for (let i = 0; i < placeLength; i++) buffer[at++] = place[i];
        keys[j] = buffer.subarray(start, at);
      }
    }
    return keys;
  }

  /**
   * Puts every key (keys()' order) with `value` into `batch`. Into a batch that copies each put, each key is
   * written into one scratch and put as a view of its length made once (keyView): no array and no view per
   * key, where keys() makes a view per key (three per transfer) that is garbage once put.
   */
  putKeys(batch: BatchSink, value: Uint8Array): void {
    if (batch.copiesOnPut !== true) {
      const keys = this.keys();
      for (let i = 0; i < keys.length; i++) batch.put(keys[i], value);
      return;
    }
    const prefixes = this.prefixesFlat;
    const place = new Uint8Array(MAX_PLACE_BYTES);
    let j = 0;
    for (let k = 0; k < this.ends.length; k++) {
      const placeLength = writePlace(this.height, this.positions[k], place, 0);
      for (; j < this.ends[k]; j++) {
        const p = prefixes[j];
        const length = p.byteLength + placeLength;
        const key = keyView(length);
        key.set(p, 0);
        for (let i = 0; i < placeLength; i++) key[p.byteLength + i] = place[i];
        batch.put(key, value);
      }
    }
  }

  private take(prefix: Uint8Array | undefined): void {
    const flat = this.prefixesFlat;
    if (prefix === undefined || flat.length - this.itemStart >= this.itemMax) return;
    for (let i = this.itemStart; i < flat.length; i++) if (flat[i] === prefix) return;
    flat.push(prefix);
  }

  private addressPrefix(address: Uint8Array): Uint8Array {
    const id = shortBytesId(address);
    let prefix = this.addressPrefixes.get(id);
    if (prefix === undefined) {
      prefix = addressTermPrefix(address);
      this.addressPrefixes.set(id, prefix);
      // The events name this address too, as text: encoding it once here (crypto/bech32-address.ts, ~0.3 us)
      // spares decoding the event's text (checksum and all) when an event names it.
      this.addressTexts.set(encodeAddress(address), prefix);
    }
    return prefix;
  }

  private addressTextPrefix(value: string): Uint8Array | null {
    let prefix = this.addressTexts.get(value);
    if (prefix === undefined) {
      prefix = isAddressText(value) ? this.addressPrefix(decodeAddress(value)) : null;
      this.addressTexts.set(value, prefix);
    }
    return prefix;
  }
}

/**
 * A block's search index terms, walked, as the prefixes its keys are made of (shared within the block) and
 * each item's place: a few pointers per tx where the results' events they come from are about a kilobyte.
 */
export interface BlockIndexTerms {
  /** The block's index keys, made now (views of one buffer), in item order. */
  keys(): Uint8Array[];
  /** Puts the same keys, in the same order, each with `value`, into `batch`. */
  putKeys(batch: BatchSink, value: Uint8Array): void;
}

/** putKeys' scratch: every key is shorter (a term's prefix is at most MAX_INDEX_TERM_BYTES and some). */
const KEY_SCRATCH = new Uint8Array(1024);
/** Views of KEY_SCRATCH from its start, by length, made once each. */
const keyViews: Uint8Array[] = [];

function keyView(length: number): Uint8Array {
  if (length > KEY_SCRATCH.byteLength) throw new RangeError(`an index key of ${length} bytes is longer than any term's`);
  return (keyViews[length] ??= KEY_SCRATCH.subarray(0, length));
}

/** Every search index key of a committed block: each tx at its place, then the block's own events. */
export function blockIndexKeys(
  height: number,
  txs: readonly DecodedTx[],
  results: readonly TxResult[],
  blockEvents: readonly TxEvent[],
): Uint8Array[] {
  const walk = new BlockIndexWalk(height);
  for (let i = 0; i < txs.length; i++) walk.tx(i, txs[i], results[i]);
  return walk.finish(blockEvents).keys();
}

/**
 * A block's index terms walked one tx at a time, as execution makes each result: the result's events are then
 * garbage at once, instead of held with the block until its commit. On a loaded node whatever a block holds
 * that long outlives two scavenges, is promoted to the old generation, and is marked by a full GC before it is
 * garbage: a transfer's events are about a kilobyte.
 */
export class BlockIndexWalk {
  private readonly keys: BlockKeys;

  constructor(height: number) {
    this.keys = new BlockKeys(height);
  }

  /** The terms of the tx at `position` in the block, given in block order. */
  tx(position: number, tx: DecodedTx, result: TxResult): void {
    this.keys.begin(position, MAX_INDEX_ENTRIES_PER_TX);
    walkTxTerms(tx, result, this.keys);
    this.keys.end();
  }

  /** The block's own events, after its txs; the walk is then over. */
  finish(blockEvents: readonly TxEvent[]): BlockIndexTerms {
    if (blockEvents.length > 0) {
      this.keys.begin(BLOCK_EVENTS_POSITION, MAX_INDEX_ENTRIES_PER_BLOCK_EVENTS);
      eventTerms(blockEvents, this.keys);
      this.keys.end();
    }
    return this.keys.sealed();
  }
}

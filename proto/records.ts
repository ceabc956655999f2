import {
  bytesField,
  decodeAmount,
  decodeCanonical,
  encodeAmount,
  type Fields,
  uint,
} from "./codec.ts";
import { CanonicalWriter, stringFieldSize, utf8Length, varintSize } from "./canonical-writer.ts";
import { pb } from "./schema.ts";

// Storage and result records: what the state machine writes and the RPC reads back.

export interface EventAttribute {
  key: string;
  value: string;
}

export interface TxEvent {
  type: string;
  attributes: EventAttribute[];
}

export interface TxResult {
  code: number;
  log: string;
  events: TxEvent[];
}

function resultFrom(f: Fields | undefined): TxResult {
  return {
    code: uint(f?.code, "result code"),
    log: f?.log ?? "",
    events: (f?.events ?? []).map((e: Fields) => ({
      type: e.type ?? "",
      attributes: (e.attributes ?? []).map((a: Fields) => ({ key: a.key ?? "", value: a.value ?? "" })),
    })),
  };
}

/**
 * Written by hand: every node encodes a result for every transaction it executes, and the results root
 * commits to these bytes, so they are exactly protobufjs's canonical encoding of pb.TxResult (strings
 * through protobufjs's own UTF-8 writer; test/unit/codec.test.ts checks it, lone surrogates included).
 * Each string's UTF-8 length is measured once (sizes first, as nested messages are prefixed by their
 * length; then one write): a transfer's result holds 14 strings, and measuring each for its attribute's,
 * its event's and its own length prefix made encoding cost about as much as executing the transfer.
 */
export function encodeTxResult(r: TxResult): Uint8Array {
  const w = new CanonicalWriter(measureTxResult(r));
  writeMeasuredTxResult(r, w);
  return w.finish();
}

/**
 * encodeTxResult into a caller's buffer (a block's results, packed one after another: node/block-results.ts,
 * where a new array per result was an off-heap allocation per tx): `room(size)` returns a writer over the
 * array and offset where the result's `size` bytes go (it must not encode a result itself: the sizes measured
 * wait in module scratch). Returns the size written.
 */
export function encodeTxResultInto(r: TxResult, room: (size: number) => CanonicalWriter): number {
  const size = measureTxResult(r);
  const w = room(size);
  const start = w.end;
  writeMeasuredTxResult(r, w);
  if (w.end - start !== size) throw new Error(`a tx result measured ${size} bytes and wrote ${w.end - start}`);
  return size;
}

/**
 * Pass 1: every string's UTF-8 length, and each attribute's and event's size, in writing order, into the
 * module's scratch arrays (for writeMeasuredTxResult, which must follow before any other result is
 * measured); returns the result's encoded size.
 */
function measureTxResult(r: TxResult): number {
  // The sizes go to module scratch arrays (one call at a time; grown when a result needs more), and the loops
  // are indexed: every node encodes every tx's result, and the arrays and iterator steps were garbage.
  const events = r.events;
  let slots = events.length;
  for (let i = 0; i < events.length; i++) slots += 3 * events[i].attributes.length;
  if (slots > lengths.length) lengths = new Int32Array(2 * slots);
  if (events.length > eventSizes.length) eventSizes = new Int32Array(2 * events.length);
  let size = (r.code !== 0 ? 1 + varintSize(r.code) : 0) + stringFieldSize(r.log);
  let slot = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    let eventSize = measured(slot++, e.type);
    for (let j = 0; j < e.attributes.length; j++) {
      const a = e.attributes[j];
      const attrSize = measured(slot++, a.key) + measured(slot++, a.value);
      lengths[slot++] = attrSize;
      eventSize += 1 + varintSize(attrSize) + attrSize;
    }
    eventSizes[i] = eventSize;
    size += 1 + varintSize(eventSize) + eventSize;
  }
  return size;
}

/** Pass 2: the bytes, with the lengths measureTxResult(r) left in the scratch. */
function writeMeasuredTxResult(r: TxResult, w: CanonicalWriter): void {
  const events = r.events;
  w.uint(0x08, r.code); // field 1
  w.string(0x12, r.log); // field 2
  let at = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    w.message(0x1a, eventSizes[i]); // field 3: an Event (always written, even empty: a repeated element)
    w.measuredString(0x0a, e.type, lengths[at++]); // Event field 1
    for (let j = 0; j < e.attributes.length; j++) {
      const a = e.attributes[j];
      const keyLength = lengths[at++];
      const valueLength = lengths[at++];
      w.message(0x12, lengths[at++]); // Event field 2: an Attribute
      w.measuredString(0x0a, a.key, keyLength);
      w.measuredString(0x12, a.value, valueLength);
    }
  }
}

/** encodeTxResult's scratch: each string's UTF-8 length and each attribute's size, in writing order. */
let lengths = new Int32Array(64);
/** encodeTxResult's scratch: each event's size. */
let eventSizes = new Int32Array(16);

/** Records the UTF-8 length of `s` at `slot` and returns the bytes its string field takes (0 when empty: omitted). */
function measured(slot: number, s: string): number {
  const n = s.length === 0 ? 0 : utf8Length(s);
  lengths[slot] = n;
  return n === 0 ? 0 : 1 + varintSize(n) + n;
}

export function decodeTxResult(bytes: Uint8Array): TxResult {
  return resultFrom(decodeCanonical(pb.TxResult, bytes, "tx result"));
}

export interface Account {
  nonce: number;
  balance: bigint;
}

/**
 * Written by hand, like encodeTxRecord: accounts are read and written several times per transaction on
 * every node, and protobufjs's generic path was a visible share of execution. The bytes are exactly the
 * canonical encoding of pb.Account (they are state values, hashed into the state root);
 * test/unit/codec.test.ts checks them against protobufjs.
 */
export function encodeAccount(a: Account): Uint8Array {
  const balance = encodeAmount(a.balance);
  const w = new CanonicalWriter(1 + 10 + 2 + balance.byteLength);
  w.uint(0x08, a.nonce); // field 1
  w.bytes(0x12, balance); // field 2
  return w.finish();
}

export function decodeAccount(bytes: Uint8Array): Account {
  const f = decodeCanonical(pb.Account, bytes, "account");
  return { nonce: uint(f.nonce, "account nonce"), balance: decodeAmount(f.balance, "account balance") };
}

/**
 * Decodes an account the state machine itself wrote (a state value, never wire input): the canonical
 * re-encoding check is skipped, because the bytes were produced by encodeAccount. Hot in execution.
 */
export function decodeStoredAccount(bytes: Uint8Array): Account {
  // The layout encodeAccount writes: [0x08 varint nonce] [0x12 len balance]. Anything else takes the
  // general path.
  let at = 0;
  let nonce = 0;
  if (bytes[at] === 0x08) {
    at++;
    let scale = 1;
    for (;;) {
      const b = bytes[at++];
      if (b === undefined) return decodeGeneral(bytes);
      nonce += (b & 0x7f) * scale;
      scale *= 0x80;
      if (b < 0x80) break;
    }
  }
  let balance = 0n;
  if (at < bytes.byteLength) {
    if (bytes[at] !== 0x12 || at + 2 + bytes[at + 1] !== bytes.byteLength) return decodeGeneral(bytes);
    balance = decodeAmount(bytes.subarray(at + 2), "account balance");
  }
  return { nonce, balance };
}

function decodeGeneral(bytes: Uint8Array): Account {
  const f = pb.Account.decode(bytes) as unknown as Fields;
  return { nonce: uint(f.nonce, "account nonce"), balance: decodeAmount(f.balance, "account balance") };
}

export interface TxRecord {
  height: number;
  index: number;
  tx: Uint8Array;
  /** Canonical TxResult bytes (encodeTxResult), encoded once per block for the results root and storage. */
  resultBytes: Uint8Array;
}

/**
 * Written by hand: every committed transaction gets one, and protobufjs spent ~30 µs on each (a tenth of
 * a 4-validator devnet's commit time). The bytes are exactly protobufjs's canonical encoding of pb.TxRecord
 * (fields in order, zero and empty fields omitted, minimal varints); test/unit/codec.test.ts checks it.
 */
export function encodeTxRecord(r: TxRecord): Uint8Array {
  // Sized exactly (one array per record, none trimmed into another: a block's commit writes one per tx).
  const w = new CanonicalWriter(txRecordSize(r));
  writeTxRecord(r, w);
  return w.finish();
}

/**
 * encodeTxRecord into `scratch` from its start when it is large enough (else into a new array): a view of
 * the bytes, valid until the scratch is written again. For a LevelDB chained batch, which copies what is put
 * before its put returns (state/store/batch-sink.ts), a block's records need no array each.
 */
export function encodeTxRecordInto(r: TxRecord, scratch: Uint8Array): Uint8Array {
  const size = txRecordSize(r);
  if (size > scratch.byteLength) return encodeTxRecord(r);
  writeTxRecord(r, new CanonicalWriter(scratch, 0));
  return scratch.subarray(0, size);
}

function txRecordSize(r: TxRecord): number {
  return uintFieldSize(r.height) + uintFieldSize(r.index) + bytesFieldSize(r.tx) + bytesFieldSize(r.resultBytes);
}

function writeTxRecord(r: TxRecord, w: CanonicalWriter): void {
  w.uint(0x08, r.height); // field 1
  w.uint(0x10, r.index); // field 2
  w.bytes(0x1a, r.tx); // field 3
  w.bytes(0x22, r.resultBytes); // field 4
}

/** What CanonicalWriter.uint writes for `n` (nothing for 0). */
function uintFieldSize(n: number): number {
  return n === 0 ? 0 : 1 + varintSize(n);
}

/** What CanonicalWriter.bytes writes for `b` (nothing when empty). */
function bytesFieldSize(b: Uint8Array): number {
  return b.byteLength === 0 ? 0 : 1 + varintSize(b.byteLength) + b.byteLength;
}

export function decodeTxRecord(bytes: Uint8Array): TxRecord & { result: TxResult } {
  const f = decodeCanonical(pb.TxRecord, bytes, "tx record");
  const resultBytes = bytesField(f.result);
  return {
    height: uint(f.height, "height"),
    index: uint(f.index, "index"),
    tx: bytesField(f.tx),
    resultBytes,
    result: decodeTxResult(resultBytes),
  };
}

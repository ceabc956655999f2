import {
  bytesField,
  decodeAmount,
  decodeCanonical,
  encodeAmount,
  encodeMessage,
  type Fields,
  uint,
} from "./codec.ts";
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

function resultFields(r: TxResult): Fields {
  return {
    code: r.code,
    log: r.log,
    events: r.events.map((e) => ({ type: e.type, attributes: e.attributes.map((a) => ({ ...a })) })),
  };
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

export function encodeTxResult(r: TxResult): Uint8Array {
  return encodeMessage(pb.TxResult, resultFields(r));
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
  const out = new Uint8Array(1 + 10 + 2 + balance.byteLength);
  let at = 0;
  if (a.nonce !== 0) {
    out[at++] = 0x08; // field 1, varint
    let n = a.nonce;
    while (n >= 0x80) {
      out[at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    out[at++] = n;
  }
  if (balance.byteLength > 0) {
    out[at++] = 0x12; // field 2, length-delimited (at most 32 bytes: a one-byte length)
    out[at++] = balance.byteLength;
    out.set(balance, at);
    at += balance.byteLength;
  }
  return out.slice(0, at);
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
  const out = new Uint8Array(2 * 10 + 2 * 5 + 4 + r.tx.byteLength + r.resultBytes.byteLength);
  let at = 0;
  const varint = (n: number) => {
    while (n >= 0x80) {
      out[at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    out[at++] = n;
  };
  const bytes = (tag: number, b: Uint8Array) => {
    if (b.byteLength === 0) return;
    out[at++] = tag;
    varint(b.byteLength);
    out.set(b, at);
    at += b.byteLength;
  };
  if (r.height !== 0) {
    out[at++] = 0x08; // field 1, varint
    varint(r.height);
  }
  if (r.index !== 0) {
    out[at++] = 0x10; // field 2, varint
    varint(r.index);
  }
  bytes(0x1a, r.tx); // field 3, length-delimited
  bytes(0x22, r.resultBytes); // field 4, length-delimited
  return out.slice(0, at);
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

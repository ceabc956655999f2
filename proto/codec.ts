import type protobuf from "protobufjs";
import { equalBytes } from "../crypto/bytes.ts";
import { type RepeatedCaps, wireProblem } from "./wire-scan.ts";

/** Bytes that are not a canonical encoding of the expected message. `reason` is for people. */
export class CodecError extends Error {
  override name = "CodecError";
}

/** Plain-object view of a decoded protobuf message (field names in camelCase). */
// protobufjs messages are dynamically shaped; every decoder turns them into typed values at the edge.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Fields = Record<string, any>;

/**
 * Encodes canonically, into a fresh Uint8Array of its own. protobufjs writes into slices of Node's shared
 * 8 KiB Buffer pool; a view would keep a whole pool slab alive for as long as a small state value lives
 * (and a Buffer's `slice` shares memory, a footgun for callers).
 */
export function encodeMessage(type: protobuf.Type, fields: Fields): Uint8Array {
  return new Uint8Array(type.encode(fields).finish());
}

/**
 * Decodes `bytes` as `type` and insists the bytes are the canonical encoding: re-encoding the decoded value
 * must give the same bytes. That rejects unknown fields, out-of-order fields, explicit default values,
 * non-minimal varints and trailing garbage, so one value has exactly one encoding (and one hash).
 *
 * First the wire format is walked without decoding (proto/wire-scan.ts): an unknown field, a singular field
 * twice, or a list longer than `caps` allows (bytes from a peer or a client: each of its lists bounded) is
 * refused before protobufjs spends an object on each field.
 */
export function decodeCanonical(type: protobuf.Type, bytes: Uint8Array, what: string, caps?: RepeatedCaps): Fields {
  const problem = wireProblem(type, bytes, caps);
  if (problem !== undefined) throw new CodecError(`${what} refused before decoding: ${problem}`);
  let decoded: protobuf.Message;
  try {
    decoded = type.decode(bytes);
  } catch (err) {
    throw new CodecError(`${what} is not valid protobuf: ${(err as Error).message}`);
  }
  const again = type.encode(decoded).finish();
  if (!equalBytes(again, bytes)) {
    throw new CodecError(`${what} is not canonically encoded (it does not re-encode to the same bytes)`);
  }
  return decoded as unknown as Fields;
}

/** Reads an optional uint64/uint32 field (absent = 0) and checks it is exact. */
export function uint(value: unknown, what: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new CodecError(`${what} is out of range`);
  }
  return value;
}

/** A bytes field as a plain Uint8Array view (protobufjs hands out Buffers on Node; no copy is made). */
export function bytesField(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) return new Uint8Array(0);
  return Buffer.isBuffer(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : value;
}

/** Reads a fixed-length bytes field; `allowEmpty` for optional hashes (e.g. the genesis block's parent). */
export function fixedBytes(value: unknown, length: number, what: string, allowEmpty = false): Uint8Array {
  const b = bytesField(value);
  if (allowEmpty && b.byteLength === 0) return b;
  if (b.byteLength !== length) throw new CodecError(`${what} must be ${length} bytes, got ${b.byteLength}`);
  return b;
}

// ---- amounts: unsigned big-endian integers, minimal, at most 32 bytes ----

export const MAX_AMOUNT_BYTES = 32;
export const MAX_AMOUNT = (1n << 256n) - 1n;

/**
 * Amounts are converted to and from bytes without a Buffer and, where they fit, without hex strings: every
 * account written (a few per tx on every node) encodes its balance, and every tx decoded carries a fee and an
 * amount. Decoding reads 48-bit pieces (a safe integer each).
 */
const PIECE_BYTES = 6;
const PIECE_BITS = 48n;
const TWO_POW_8 = 0x100;

export function encodeAmount(value: bigint): Uint8Array {
  if (value < 0n || value > MAX_AMOUNT) throw new RangeError(`amount out of range: ${value}`);
  if (value === 0n) return new Uint8Array(0);
  if (value <= MAX_SAFE) {
    // Most amounts and balances of a test chain's accounts fit a safe integer: no bigint work at all.
    let n = Number(value);
    let length = 0;
    for (let rest = n; rest >= 1; rest = Math.floor(rest / TWO_POW_8)) length++;
    const out = new Uint8Array(length);
    for (let i = length - 1; i >= 0; i--) {
      out[i] = n % TWO_POW_8;
      n = Math.floor(n / TWO_POW_8);
    }
    return out;
  }
  // Larger: the hex digits read straight into the bytes (one string, no Buffer in between).
  const hex = value.toString(16);
  const odd = hex.length % 2;
  const out = new Uint8Array((hex.length + odd) >> 1);
  for (let i = 0, at = -odd; i < out.byteLength; i++, at += 2) {
    out[i] = (at < 0 ? 0 : hexDigit(hex.charCodeAt(at)) << 4) | hexDigit(hex.charCodeAt(at + 1));
  }
  return out;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A lowercase hex digit's value (bigint's toString(16) writes only 0-9 and a-f). */
function hexDigit(c: number): number {
  return c <= 0x39 ? c - 0x30 : c - 0x57;
}

export function decodeAmount(value: unknown, what: string): bigint {
  const b = bytesField(value);
  return decodeAmountIn(b, 0, b.byteLength, what);
}

/** decodeAmount of b[start..end), read in place (the tx decoder's fee and amount: no view per amount). */
export function decodeAmountIn(b: Uint8Array, start: number, end: number, what: string): bigint {
  const length = end - start;
  if (length === 0) return 0n;
  if (length > MAX_AMOUNT_BYTES)
    throw new CodecError(`${what} is longer than ${MAX_AMOUNT_BYTES} bytes`);
  if (b[start] === 0) throw new CodecError(`${what} has a leading zero byte (amounts are minimal big-endian)`);
  // The first piece takes the odd bytes (1-6 of them), every later one six.
  let at = start;
  let amount = 0n;
  let take = length % PIECE_BYTES || PIECE_BYTES;
  while (at < end) {
    let piece = 0;
    for (const end = at + take; at < end; at++) piece = piece * TWO_POW_8 + b[at];
    amount = amount === 0n ? BigInt(piece) : (amount << PIECE_BITS) | BigInt(piece);
    take = PIECE_BYTES;
  }
  return amount;
}

import type protobuf from "protobufjs";
import { equalBytes } from "../crypto/bytes.ts";

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
 */
export function decodeCanonical(type: protobuf.Type, bytes: Uint8Array, what: string): Fields {
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

export function encodeAmount(value: bigint): Uint8Array {
  if (value < 0n || value > MAX_AMOUNT) throw new RangeError(`amount out of range: ${value}`);
  if (value === 0n) return new Uint8Array(0);
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return new Uint8Array(Buffer.from(hex, "hex"));
}

export function decodeAmount(value: unknown, what: string): bigint {
  const b = bytesField(value);
  if (b.byteLength === 0) return 0n;
  if (b.byteLength > MAX_AMOUNT_BYTES)
    throw new CodecError(`${what} is longer than ${MAX_AMOUNT_BYTES} bytes`);
  if (b[0] === 0) throw new CodecError(`${what} has a leading zero byte (amounts are minimal big-endian)`);
  return BigInt(`0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")}`);
}

import { CodecError } from "./codec.ts";

/**
 * A strict reader of canonical protobuf, for the hottest decoders (transactions: every node decodes every
 * one). It accepts exactly what decodeCanonical accepts for simple messages, without decoding and
 * re-encoding through protobufjs: fields in ascending number order, each at most once, with the expected
 * wire type; minimal varints; no zero varints or empty strings/bytes (the encoder omits them); no unknown
 * fields; nothing after the last field. test/unit/codec.test.ts checks it against decodeCanonical.
 */
export const WIRE_VARINT = 0;
export const WIRE_LEN = 2;

export class CanonicalReader {
  private readonly bytes: Uint8Array;
  private readonly what: string;
  private at: number;
  /** Where the message ends in `bytes` (a nested message is read in place, without a view of its own). */
  private readonly limit: number;
  private lastField = 0;
  /** Where the value read by the last lengthDelimitedStart ends. */
  valueEnd = 0;

  /** Reads `bytes` from `start` to `end` (all of them by default). */
  constructor(bytes: Uint8Array, what: string, start = 0, end = bytes.byteLength) {
    this.bytes = bytes;
    this.what = what;
    this.at = start;
    this.limit = end;
  }

  private fail(why: string): never {
    throw new CodecError(`${this.what} is not canonically encoded: ${why}`);
  }

  get done(): boolean {
    return this.at >= this.limit;
  }

  /** A minimal varint up to 2^53 - 1. */
  private varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (this.at >= this.limit) this.fail("truncated varint");
      const b = this.bytes[this.at++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (b === 0 && i > 0) this.fail("non-minimal varint");
        break;
      }
      scale *= 0x80;
      if (i >= 7) this.fail("varint out of range");
    }
    if (!Number.isSafeInteger(value)) this.fail("varint out of range");
    return value;
  }

  /**
   * The number of the next field if it is `field` with wire type `wire` (consuming its tag), else
   * undefined (nothing consumed). Fields must come in ascending order: anything else is refused here or by
   * `end()`.
   */
  next(field: number, wire: number): boolean {
    if (this.done) return false;
    const start = this.at;
    const tag = this.varint();
    const number = Math.floor(tag / 8);
    if (number === field && tag % 8 === wire) {
      if (number <= this.lastField) this.fail(`field ${number} out of order or repeated`);
      this.lastField = number;
      return true;
    }
    if (number === field) this.fail(`field ${number} has wire type ${tag % 8}`);
    if (number < field) this.fail(`field ${number} out of order, repeated or unknown`);
    this.at = start; // a later field: leave it for its own next()
    return false;
  }

  /** The number of the next field, without consuming it (undefined at the end). */
  peekField(): number | undefined {
    if (this.done) return undefined;
    const start = this.at;
    const tag = this.varint();
    this.at = start;
    return Math.floor(tag / 8);
  }

  /** A non-zero varint value (a zero is never written). */
  uint(): number {
    const v = this.varint();
    if (v === 0) this.fail("a zero value is written (it must be omitted)");
    return v;
  }

  /** A length-delimited value; empty only where `allowEmpty` (a nested message that is present). */
  lengthDelimited(allowEmpty = false): Uint8Array {
    const start = this.lengthDelimitedStart(allowEmpty);
    return this.bytes.subarray(start, this.valueEnd);
  }

  /**
   * The same checks and the same value, as its place in the bytes instead of a view: its start, returned, and
   * its end, in valueEnd (for values read in place: a chain id, an amount, a nested message).
   */
  lengthDelimitedStart(allowEmpty = false): number {
    const length = this.varint();
    if (length === 0 && !allowEmpty) this.fail("an empty value is written (it must be omitted)");
    if (this.at + length > this.limit) this.fail("truncated field");
    const start = this.at;
    this.at += length;
    this.valueEnd = this.at;
    return start;
  }

  /** Nothing may follow the last known field. */
  end(): void {
    if (!this.done) {
      const tag = this.varint();
      this.fail(`unexpected field ${Math.floor(tag / 8)}`);
    }
  }
}

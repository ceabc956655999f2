import protobuf from "protobufjs";

/**
 * The write side of proto/canonical-reader.ts: canonical protobuf for the hand-written hot encoders
 * (account, tx record, tx result). Zero varints and empty strings/bytes are omitted, varints are minimal,
 * strings go through protobufjs's own UTF-8 writer, so the bytes equal protobufjs's (codec tests check).
 * The caller sizes the buffer (an upper bound is fine: finish() trims).
 */
const utf8 = protobuf.util.utf8;

export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** A string's UTF-8 length, as protobufjs's writer counts it (a lone surrogate as 3 bytes). */
export function utf8Length(s: string): number {
  return utf8.length(s);
}

/** Bytes a string field takes (tag, length, UTF-8); 0 for an empty one, which is omitted. */
export function stringFieldSize(s: string): number {
  if (s.length === 0) return 0;
  const n = utf8.length(s);
  return 1 + varintSize(n) + n;
}

export class CanonicalWriter {
  private readonly out: Uint8Array;
  private at = 0;
  /** Writing into a caller's array (whose bytes before the start are not ours to return). */
  private readonly borrowed: boolean;

  /**
   * A new array of `maxBytes` (finish() trims), or the caller's `out` from `at` on (`end` says how far it was
   * written; finish() is for a writer's own array only).
   */
  constructor(maxBytes: number);
  constructor(out: Uint8Array, at: number);
  constructor(sizeOrOut: number | Uint8Array, at = 0) {
    this.borrowed = typeof sizeOrOut !== "number";
    this.out = typeof sizeOrOut === "number" ? new Uint8Array(sizeOrOut) : sizeOrOut;
    this.at = at;
  }

  /** Where the next byte goes: the end of what was written. */
  get end(): number {
    return this.at;
  }

  /** A raw varint (lengths, tags of nested elements). Up to 2^53 - 1. */
  varint(n: number): void {
    while (n >= 0x80) {
      this.out[this.at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.out[this.at++] = n;
  }

  /** A varint field (one-byte tag), omitted when zero. */
  uint(tag: number, n: number): void {
    if (n === 0) return;
    this.out[this.at++] = tag;
    this.varint(n);
  }

  /** A length-delimited bytes field (one-byte tag), omitted when empty. */
  bytes(tag: number, b: Uint8Array): void {
    if (b.byteLength === 0) return;
    this.out[this.at++] = tag;
    this.varint(b.byteLength);
    this.out.set(b, this.at);
    this.at += b.byteLength;
  }

  /** A string field (one-byte tag), omitted when empty. */
  string(tag: number, s: string): void {
    if (s.length === 0) return;
    this.out[this.at++] = tag;
    this.varint(utf8.length(s));
    this.at += utf8.write(s, this.out, this.at);
  }

  /** A string field whose UTF-8 length the caller measured already (utf8Length), omitted when empty. */
  measuredString(tag: number, s: string, utf8Bytes: number): void {
    if (s.length === 0) return;
    this.out[this.at++] = tag;
    this.varint(utf8Bytes);
    this.at += utf8.write(s, this.out, this.at);
  }

  /** Bytes as they are (a frame's payload after its length). */
  raw(b: Uint8Array): void {
    this.out.set(b, this.at);
    this.at += b.byteLength;
  }

  /** The header of an embedded message (always written, even when empty: a present or repeated element). */
  message(tag: number, size: number): void {
    this.out[this.at++] = tag;
    this.varint(size);
  }

  /** The bytes written, in an array of their own. */
  finish(): Uint8Array {
    if (this.borrowed) throw new Error("finish() of a writer over a caller's array: read `end` instead");
    return this.at === this.out.byteLength ? this.out : this.out.slice(0, this.at);
  }
}

import { fixedLatin1 } from "./byte-id.ts";

/** Byte helpers shared by every layer. Hex is always lowercase; base64 is standard with padding. */

/**
 * The native encoder behind Buffer's toString("hex"), called on the Uint8Array itself: no Buffer object per call
 * (every tx id is a hex string made once per tx). Undocumented, so looked up with a fallback; a unit test holds
 * toHex to Buffer's answer.
 */
type HexSlice = (this: Uint8Array, start: number, end: number) => string;
const hexSlice = (Buffer.prototype as unknown as { hexSlice?: HexSlice }).hexSlice;

export function toHex(bytes: Uint8Array): string {
  if (hexSlice !== undefined) return hexSlice.call(bytes, 0, bytes.byteLength);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/**
 * Parses lowercase hex; returns undefined for anything else so callers can say what was wrong. Checked by
 * re-encoding (linear, native) rather than a regex: a repeated-group regex overflows the stack on inputs of
 * a few MiB, and blocks are that large.
 */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0) return undefined;
  const bytes = Buffer.from(text, "hex"); // stops at the first invalid character
  if (bytes.byteLength * 2 !== text.length || bytes.toString("hex") !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/**
 * Strict, canonical base64 (Node's decoder silently skips invalid characters, which would let garbage
 * through): the text must be exactly what `toBase64` gives for the decoded bytes. Checked by re-encoding,
 * linear and native, at any size (the regex this replaces overflowed the stack on 6 MiB strings).
 */
export function fromBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A map key for short bytes (a public key, an address): one UTF-16 unit per byte, no Buffer wrapper (about
 * half the cost of toString("latin1") at these sizes; it runs for every decoded tx).
 */
export function shortBytesId(bytes: Uint8Array): string {
  if (bytes.byteLength > 128) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  return fixedLatin1(bytes) ?? String.fromCharCode.apply(null, bytes as unknown as number[]);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic byte order, used wherever iteration order must be deterministic. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d;
  }
  return a.byteLength - b.byteLength;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.byteLength;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

const encoder = new TextEncoder();
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** 8-byte big-endian encoding of a non-negative safe integer; sorts numerically as bytes. */
export function u64be(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/**
 * u64 BE of a non-negative safe integer, written in place at `at` (no BigInt and no array of its own: the state
 * tree's node keys and ids and the history keys write one for every record a block touches).
 */
export function writeU64be(out: { [i: number]: number }, at: number, n: number): void {
  const high = Math.floor(n / 2 ** 32);
  const low = n >>> 0;
  out[at] = high >>> 24;
  out[at + 1] = (high >>> 16) & 0xff;
  out[at + 2] = (high >>> 8) & 0xff;
  out[at + 3] = high & 0xff;
  out[at + 4] = low >>> 24;
  out[at + 5] = (low >>> 16) & 0xff;
  out[at + 6] = (low >>> 8) & 0xff;
  out[at + 7] = low & 0xff;
}

export function readU64be(bytes: Uint8Array, offset = 0): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset));
}

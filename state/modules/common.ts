import { compareBytes, equalBytes, readU64be, u64be } from "../../crypto/bytes.ts";
import { decodeAmount, encodeAmount } from "../../proto/codec.ts";
import { TxError } from "../errors.ts";
import { MODULE_PREFIX } from "../keys.ts";
import type { Overlay, StateReader } from "../view.ts";

/** Small pieces every native module uses: amounts and counters in state, the treasury, input limits. */

export function readAmount(view: StateReader, key: Uint8Array): bigint {
  const raw = view.get(key);
  return raw === undefined ? 0n : decodeAmount(raw, "stored amount");
}

/** Writes an amount; zero deletes the key (absent and zero read the same). */
export function writeAmount(view: Overlay, key: Uint8Array, amount: bigint): void {
  if (amount < 0n) throw new Error(`negative amount at a state key: ${amount}`); // a bug, never a tx error
  if (amount === 0n) {
    if (view.get(key) !== undefined) view.delete(key);
  } else {
    view.set(key, encodeAmount(amount));
  }
}

export function addAmount(view: Overlay, key: Uint8Array, delta: bigint): bigint {
  const next = readAmount(view, key) + delta;
  writeAmount(view, key, next);
  return next;
}

/** Takes the next id from a sequence key (ids start at 1) and advances it. */
export function nextId(view: Overlay, seqKey: Uint8Array): number {
  const raw = view.get(seqKey);
  const id = raw === undefined ? 1 : readU64be(raw);
  view.set(seqKey, u64be(id + 1));
  return id;
}

/** The id the next object of a sequence will get (for queries: how many exist). */
export function peekNextId(view: StateReader, seqKey: Uint8Array): number {
  const raw = view.get(seqKey);
  return raw === undefined ? 1 : readU64be(raw);
}

export function creditTreasury(view: Overlay, amount: bigint): void {
  if (amount > 0n) addAmount(view, MODULE_PREFIX.treasury, amount);
}

/** Takes `amount` out of the treasury (a governance spend). Throws INSUFFICIENT_FUNDS if it holds less. */
export function debitTreasury(view: Overlay, amount: bigint): void {
  const held = readAmount(view, MODULE_PREFIX.treasury);
  if (held < amount) {
    throw new TxError("INSUFFICIENT_FUNDS", `the treasury holds ${held}, less than the ${amount} to spend`);
  }
  writeAmount(view, MODULE_PREFIX.treasury, held - amount);
}

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Refuses a text longer than `max` UTF-8 bytes (or empty, when `required`). */
export function checkText(text: string, max: number, what: string, required = false): void {
  if (required && text.length === 0) throw new TxError("INVALID_MSG", `${what} must not be empty`);
  const n = utf8Length(text);
  if (n > max) throw new TxError("INVALID_MSG", `${what} is ${n} bytes; the limit is ${max}`);
  const at = firstControlCharacter(text);
  if (at >= 0) {
    const code = text.charCodeAt(at).toString(16).toUpperCase().padStart(4, "0");
    throw new TxError(
      "INVALID_MSG",
      `${what} contains a control character (U+${code}) at index ${at}; names, descriptions and uris are plain text`,
    );
  }
}

/**
 * The index of the first character no name, description or uri may hold, or -1. They are: every C0 control
 * (U+0000-U+001F, tab and newlines
 * included: one-line fields, and a newline lets text fake a second line of CLI or log output), DEL (U+007F)
 * and every C1 control (U+0080-U+009F, where U+009B is a one-character CSI on some terminals). Chain text
 * is printed by CLIs and terminals, and ESC [ ... sequences or a NUL in it could rewrite or hide what they
 * show. Also the line and paragraph separators (U+2028, U+2029) and the bidi embedding, override and isolate
 * controls (U+202A-U+202E, U+2066-U+2069), which reorder what a terminal or page shows ("Trojan Source").
 * Joiners and the bidi marks (U+200B-U+200F) stay: scripts and emoji need them, and they reorder nothing.
 * Stateless, so refused at admission (no fee) and, identically, in a block.
 */
function firstControlCharacter(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i); // a UTF-16 unit: controls are all in the BMP, surrogates are above them
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return i;
    if (c === 0x2028 || c === 0x2029) return i; // line and paragraph separators: a second line, as a newline
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return i; // bidi embeddings, overrides, isolates
  }
  return -1;
}

/** Refuses a list of addresses that is too long or names one address twice. */
export function checkAddressList(list: readonly Uint8Array[], max: number, what: string): void {
  if (list.length > max) throw new TxError("INVALID_MSG", `${what} has ${list.length} entries; the limit is ${max}`);
  const sorted = [...list].sort(compareBytes);
  for (let i = 1; i < sorted.length; i++) {
    if (equalBytes(sorted[i], sorted[i - 1])) throw new TxError("INVALID_MSG", `${what} names an address twice`);
  }
}

export function includesAddress(list: readonly Uint8Array[], address: Uint8Array): boolean {
  return list.some((a) => equalBytes(a, address));
}

/** An event attribute list from plain pairs (values already strings). */
export function event(type: string, attrs: Record<string, string>) {
  return { type, attributes: Object.entries(attrs).map(([key, value]) => ({ key, value })) };
}

import { decodeAddress } from "../../crypto/address.ts";
import { fromBase64, fromHex } from "../../crypto/bytes.ts";
import type { AttributionWeight, DatanetVersionRef } from "../../proto/module-msgs.ts";
import { parseOpen } from "../../state/units.ts";

/**
 * Parsers for transaction flags, each failing with a message that names the flag and shows the expected
 * form. Loaded inside actions (tx-send.ts passes them to the builders): they pull in the crypto modules.
 */

export { parseOpen };

/** An object id: a positive integer (ids start at 1). */
export function parseId(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new Error(`${flag} must be an id (a positive integer), got "${text}"`);
  }
  return n;
}

export function parseCount(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) {
    throw new Error(`${flag} must be a non-negative integer, got "${text}"`);
  }
  return n;
}

/** A 32-byte hash as 64 hex characters. */
export function parseHash(text: string, flag: string): Uint8Array {
  const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? fromHex(text.toLowerCase()) : undefined;
  if (bytes === undefined) throw new Error(`${flag} must be a 32-byte hash as 64 hex characters, got "${text}"`);
  return bytes;
}

export function parseAddress(text: string, flag: string): Uint8Array {
  try {
    return decodeAddress(text);
  } catch (err) {
    throw new Error(`${flag}: ${(err as Error).message}`, { cause: err });
  }
}

export function parseAddresses(texts: readonly string[], flag: string): Uint8Array[] {
  return texts.map((t) => parseAddress(t, flag));
}

/** An ed25519 public key, base64 (as `opl genesis show-validator` prints it) or 64 hex characters. */
export function parsePublicKey(text: string, flag: string): Uint8Array {
  const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? fromHex(text.toLowerCase()) : fromBase64(text);
  if (bytes === undefined || bytes.byteLength !== 32) {
    throw new Error(`${flag} must be a 32-byte ed25519 public key, base64 or hex, got "${text}"`);
  }
  return bytes;
}

/** A datanet version: "ID/VERSION" (or "datanet:ID/VERSION", as in a weight). */
export function parseRef(text: string, flag: string): DatanetVersionRef {
  const m = /^(?:datanet:)?(\d+)\/(\d+)$/.exec(text);
  if (m === null) throw new Error(`${flag} must be DATANET_ID/VERSION, e.g. 3/1, got "${text}"`);
  return { datanetId: parseId(m[1], `${flag} datanet id`), version: parseId(m[2], `${flag} version`) };
}

/** An attribution weight: "contribution:ID=PPM" or "datanet:ID/VERSION=PPM" (parts per million). */
export function parseWeight(text: string, flag: string): AttributionWeight {
  const usage = `${flag} must be contribution:ID=PPM or datanet:ID/VERSION=PPM (e.g. contribution:4=250000), got "${text}"`;
  const m = /^(contribution:(\d+)|datanet:(\d+)\/(\d+))=(\d+)$/.exec(text);
  if (m === null) throw new Error(usage);
  const ppm = parseId(m[5], `${flag} ppm`);
  if (m[2] !== undefined) return { contributionId: parseId(m[2], `${flag} contribution id`), datanetId: 0, version: 0, ppm };
  return {
    contributionId: 0,
    datanetId: parseId(m[3], `${flag} datanet id`),
    version: parseId(m[4], `${flag} version`),
    ppm,
  };
}

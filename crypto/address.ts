import { bech32 } from "@scure/base";
import { bech32Encoder20 } from "./bech32-address.ts";
import { shortBytesId } from "./bytes.ts";
import { FifoCache } from "./fifo-cache.ts";
import { sha256 } from "./hash.ts";

/** Addresses are the first 20 bytes of sha256(ed25519 public key), shown as bech32 with prefix `opl`. */
export const ADDRESS_LENGTH = 20;
export const ADDRESS_PREFIX = "opl";

/** Every decoded transaction derives its sender's address; senders recur, so the hashes are cached. */
const ADDRESS_CACHE_LIMIT = 50_000;

/** A public key's address, and the address's shortBytesId (a state key id, a mempool sender key). */
export interface Sender {
  /** Shared by every caller of senderOf with this key: never to be written. */
  readonly address: Uint8Array;
  readonly id: string;
}

const addressCache = new FifoCache<string, Sender>(ADDRESS_CACHE_LIMIT);

export function addressFromPublicKey(publicKey: Uint8Array): Uint8Array {
  return senderOf(publicKey).address.slice(); // callers own their copy: a cached array must never be changed
}

/**
 * The cached address and id of a public key, shared, not copied: decodeTx's, so that a decoded tx makes no
 * array or string of its own for its sender (each pending tx kept one of each for as long as it waited).
 */
export function senderOf(publicKey: Uint8Array): Sender {
  const key = shortBytesId(publicKey);
  let sender = addressCache.get(key);
  if (sender === undefined) {
    const address = sha256(publicKey).slice(0, ADDRESS_LENGTH);
    sender = { address, id: shortBytesId(address) };
    addressCache.set(key, sender);
  }
  return sender;
}

const encode20 = bech32Encoder20(ADDRESS_PREFIX);

/**
 * An address's bech32 text. Not cached: the 20-byte encoder takes ~0.3 us (crypto/bech32-address.ts), and a
 * cache of every address encoded held two strings per new account for as long as 50,000 others came after.
 */
export function encodeAddress(address: Uint8Array): string {
  if (address.byteLength === ADDRESS_LENGTH) return encode20(address);
  return bech32.encode(ADDRESS_PREFIX, bech32.toWords(address));
}

/**
 * bech32 decoding (checksum and all) costs a few microseconds, and the same texts recur: an RPC call's address
 * is checked by its schema and decoded again by its handler, and blocks name the same accounts. Only texts
 * that decoded are cached, so a bad one is refused every time with its reason.
 */
const DECODE_CACHE_LIMIT = 10_000;
const decodeCache = new FifoCache<string, Uint8Array>(DECODE_CACHE_LIMIT);

/** Parses an `opl1...` address; throws an Error whose message says what is wrong. */
export function decodeAddress(text: string): Uint8Array {
  let bytes = decodeCache.get(text);
  if (bytes === undefined) {
    bytes = decodeBech32Address(text);
    decodeCache.set(text, bytes);
  }
  return bytes.slice(); // callers own their copy: a cached array must never be changed by one of them
}

function decodeBech32Address(text: string): Uint8Array {
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32.decode(text as `${string}1${string}`);
  } catch (err) {
    throw new Error(`invalid address "${text}": ${(err as Error).message}`, { cause: err });
  }
  if (decoded.prefix !== ADDRESS_PREFIX) {
    throw new Error(`invalid address "${text}": prefix must be "${ADDRESS_PREFIX}", got "${decoded.prefix}"`);
  }
  const bytes = bech32.fromWords(decoded.words);
  if (bytes.byteLength !== ADDRESS_LENGTH) {
    throw new Error(`invalid address "${text}": expected ${ADDRESS_LENGTH} bytes, got ${bytes.byteLength}`);
  }
  return bytes;
}

export function isAddress(text: string): boolean {
  try {
    decodeAddress(text);
    return true;
  } catch {
    return false;
  }
}

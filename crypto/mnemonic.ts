import { createHmac } from "node:crypto";
import { generateMnemonic as bip39Generate, mnemonicToSeedSync, validateMnemonic } from "@scure/bip39";
import { wordlist as ENGLISH } from "@scure/bip39/wordlists/english.js";

/**
 * Account keys from a 24-word BIP-39 mnemonic (docs/client-formats.md, MNEMONIC-KEY): the mnemonic (english
 * wordlist, 256 bits of entropy) gives BIP-39's 64-byte seed (PBKDF2-HMAC-SHA512, 2048 rounds, salt
 * "mnemonic", no passphrase), and SLIP-0010's ed25519 derivation of that seed at OPL_DERIVATION_PATH gives
 * the 32-byte ed25519 secret key a keyring file holds. Written down, the mnemonic restores the key anywhere.
 */

/** BIP-44 shape, every level hardened (SLIP-0010 ed25519 has no other). 6174 is OPL's coin type here: not
 * registered in SLIP-0044, fixed by this file (a different path would give a different key). */
export const OPL_DERIVATION_PATH = "m/44'/6174'/0'/0'/0'";
const HARDENED = 0x80000000;
const PATH_INDEXES = [44, 6174, 0, 0, 0].map((i) => i + HARDENED);

export const MNEMONIC_WORDS = 24;

/** A mnemonic that cannot be used: the message says which word or rule. */
export class MnemonicError extends Error {
  override name = "MnemonicError";
}

/** A new random 24-word mnemonic (256 bits of entropy from the system's CSPRNG). */
export function generateMnemonic(): string {
  return bip39Generate(ENGLISH, 256);
}

/** Lower case, single spaces: how a mnemonic typed or pasted is read. */
export function normalizeMnemonic(text: string): string {
  return text.trim().toLowerCase().split(/\s+/).filter((w) => w !== "").join(" ");
}

/** BIP-39's seed of a checked mnemonic. Throws MnemonicError naming the problem. */
export function mnemonicSeed(text: string, passphrase = ""): Uint8Array {
  const words = normalizeMnemonic(text);
  const list = words === "" ? [] : words.split(" ");
  if (list.length !== MNEMONIC_WORDS) {
    throw new MnemonicError(`a mnemonic has ${MNEMONIC_WORDS} words; this one has ${list.length} words`);
  }
  const known = new Set(ENGLISH);
  const unknown = list.findIndex((w) => !known.has(w));
  if (unknown >= 0) {
    throw new MnemonicError(`word ${unknown + 1} "${list[unknown]}" is not in the BIP-39 english wordlist`);
  }
  if (!validateMnemonic(words, ENGLISH)) {
    throw new MnemonicError("the mnemonic's checksum does not match: a word is wrong or out of order");
  }
  return mnemonicToSeedSync(words, passphrase);
}

/** The ed25519 secret key (32-byte seed, RFC 8032) of a mnemonic, at OPL_DERIVATION_PATH. */
export function mnemonicToSecretKey(text: string): Uint8Array {
  return slip10Ed25519(mnemonicSeed(text), PATH_INDEXES).key;
}

/**
 * SLIP-0010 for ed25519: master I = HMAC-SHA512("ed25519 seed", seed); child i (hardened only) I =
 * HMAC-SHA512(chain code, 0x00 || key || ser32(i)); the key is I's left 32 bytes, the chain code its right.
 */
export function slip10Ed25519(seed: Uint8Array, path: readonly number[]): { key: Uint8Array; chainCode: Uint8Array } {
  let i = createHmac("sha512", "ed25519 seed").update(seed).digest();
  for (const index of path) {
    if (!Number.isInteger(index) || index < HARDENED || index > 0xffffffff) {
      throw new Error(`SLIP-0010 ed25519 derives hardened indexes only (${HARDENED} and up), got ${index}`);
    }
    const data = Buffer.alloc(37);
    i.copy(data, 1, 0, 32);
    data.writeUInt32BE(index, 33);
    i = createHmac("sha512", i.subarray(32)).update(data).digest();
  }
  return { key: new Uint8Array(i.subarray(0, 32)), chainCode: new Uint8Array(i.subarray(32)) };
}

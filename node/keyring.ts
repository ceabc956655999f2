import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { addressFromPublicKey, encodeAddress } from "../crypto/address.ts";
import { fromHex, toHex } from "../crypto/bytes.ts";
import { generateSecretKey, publicKeyOf, SECRET_KEY_LENGTH } from "../crypto/ed25519.ts";
import { readSecretJsonFile, writeSecretFile } from "./key-file.ts";

/**
 * Account keys in the home directory: one JSON file per key in <home>/keyring/, mode 0600, directory 0700.
 * Files hold the ed25519 secret in hex; anyone who can read them can spend, so they never leave the machine.
 */
export interface KeyEntry {
  name: string;
  address: string;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

interface KeyFile {
  name: string;
  address: string;
  publicKey: string;
  secretKey: string;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A keyring file's text (KEYRING-FILE, docs/client-formats.md): 2-space JSON and a final newline. */
export function keyFileText(key: KeyEntry): string {
  const file: KeyFile = {
    name: key.name,
    address: key.address,
    publicKey: toHex(key.publicKey),
    secretKey: toHex(key.secretKey),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

export class Keyring {
  readonly dir: string;

  constructor(home: string) {
    this.dir = join(home, "keyring");
  }

  private path(name: string): string {
    if (!NAME_RE.test(name)) throw new Error(`invalid key name "${name}" (letters, digits, _ . -; up to 64)`);
    return join(this.dir, `${name}.json`);
  }

  has(name: string): boolean {
    return existsSync(this.path(name));
  }

  /** Creates a new key; refuses to overwrite an existing one. */
  add(name: string, secretKey: Uint8Array = generateSecretKey()): KeyEntry {
    const path = this.path(name);
    if (existsSync(path)) throw new Error(`key "${name}" already exists in ${this.dir}`);
    const publicKey = publicKeyOf(secretKey);
    const entry = { name, address: encodeAddress(addressFromPublicKey(publicKey)), publicKey, secretKey };
    writeSecretFile(path, keyFileText(entry));
    return entry;
  }

  /**
   * Adds a key from the text of a keyring file (KEYRING-FILE: what `opl keys export` prints). Only secretKey
   * is needed; an address or publicKey the file also states must be the secret key's, else it is refused (a
   * file edited by hand, or two files mixed up).
   */
  import(name: string, text: string): KeyEntry {
    let file: Partial<KeyFile>;
    try {
      file = JSON.parse(text) as Partial<KeyFile>;
    } catch {
      throw new Error("the key to import is not valid JSON (expected a keyring file, as opl keys export prints)");
    }
    const secretKey = typeof file?.secretKey === "string" ? fromHex(file.secretKey) : undefined;
    if (secretKey === undefined || secretKey.byteLength !== SECRET_KEY_LENGTH) {
      throw new Error("the key to import has no secretKey (64 hex characters: the 32-byte ed25519 seed)");
    }
    const publicKey = publicKeyOf(secretKey);
    const address = encodeAddress(addressFromPublicKey(publicKey));
    if (file.address !== undefined && file.address !== address) {
      throw new Error(`the file's address ${String(file.address)} does not match its secret key's (${address})`);
    }
    if (file.publicKey !== undefined && file.publicKey !== toHex(publicKey)) {
      throw new Error(`the file's publicKey does not match its secret key's (${toHex(publicKey)})`);
    }
    return this.add(name, secretKey);
  }

  /** Removes a key's file for good. */
  delete(name: string): KeyEntry {
    const entry = this.get(name);
    rmSync(this.path(name));
    return entry;
  }

  get(name: string): KeyEntry {
    const path = this.path(name);
    if (!existsSync(path)) throw new Error(`no key named "${name}" in ${this.dir} (see: opl keys list)`);
    const file = readSecretJsonFile<KeyFile>(path, `key "${name}"`);
    const secretKey = fromHex(file.secretKey);
    if (secretKey === undefined || secretKey.byteLength !== SECRET_KEY_LENGTH) {
      throw new Error(`key file ${path} is damaged (secretKey)`);
    }
    const publicKey = publicKeyOf(secretKey);
    return { name, address: encodeAddress(addressFromPublicKey(publicKey)), publicKey, secretKey };
  }

  list(): KeyEntry[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -5))
      .filter((n) => NAME_RE.test(n))
      .sort()
      .map((n) => this.get(n));
  }
}

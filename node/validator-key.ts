import type { KeyObject } from "node:crypto";
import { addressFromPublicKey } from "../crypto/address.ts";
import { fromHex, toHex } from "../crypto/bytes.ts";
import {
  generateSecretKey,
  privateKeyObject,
  publicKeyOf,
  SECRET_KEY_LENGTH,
  signFast,
} from "../crypto/ed25519.ts";
import { readSecretJsonFile, writeSecretFile } from "./key-file.ts";

/** The validator's consensus key: signs votes and proposals, never transactions. */
export interface ValidatorKey {
  address: Uint8Array;
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

interface ValidatorKeyFile {
  type: "ed25519";
  publicKey: string;
  secretKey: string;
}

export function createValidatorKey(path: string, secretKey: Uint8Array = generateSecretKey()): Uint8Array {
  const publicKey = publicKeyOf(secretKey);
  const file: ValidatorKeyFile = {
    type: "ed25519",
    publicKey: toHex(publicKey),
    secretKey: toHex(secretKey),
  };
  writeSecretFile(path, `${JSON.stringify(file, null, 2)}\n`);
  return publicKey;
}

export function loadValidatorKey(path: string): ValidatorKey {
  const file = readSecretJsonFile<ValidatorKeyFile>(path, "validator key");
  const secretKey = fromHex(file.secretKey ?? "");
  if (secretKey === undefined || secretKey.byteLength !== SECRET_KEY_LENGTH) {
    throw new Error(`validator key ${path} is damaged`);
  }
  const publicKey = publicKeyOf(secretKey);
  const key: KeyObject = privateKeyObject(secretKey);
  return {
    address: addressFromPublicKey(publicKey),
    publicKey,
    sign: (message) => signFast(message, key),
  };
}

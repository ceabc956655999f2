import { existsSync, readFileSync } from "node:fs";
import { ed25519 } from "@noble/curves/ed25519.js";
import { addressFromPublicKey, decodeAddress, encodeAddress } from "../crypto/address.ts";
import { fromBase64, toBase64 } from "../crypto/bytes.ts";
import { PUBLIC_KEY_LENGTH } from "../crypto/ed25519.ts";
import { homePaths, readConfig } from "./config.ts";
import { writeFileAtomic } from "./key-file.ts";
import { GenesisError, type GenesisFile, parseGenesis } from "./genesis-file.ts";
import { DEFAULT_GENESIS_SELF_STAKE } from "./defaults.ts";
import { Keyring } from "./keyring.ts";
import { loadValidatorKey } from "./validator-key.ts";

/**
 * Building a network's genesis from its validators (the CometBFT/Cosmos "collect gentxs" step, by hand):
 * each operator prints `show-validator`, a coordinator adds every validator and funded account to one
 * genesis.json and hands that file to all. The edits are pure functions on the file form; the I/O is thin.
 */
export type GenesisValidator = GenesisFile["validators"][number];

/**
 * A validator entry checked for use: a real ed25519 public key, a self-stake in base units, a matching
 * address, an operator address (default: the key's own address).
 */
export function validatorEntry(v: {
  name: unknown;
  pubKey: unknown;
  selfStake: unknown;
  address?: unknown;
  operator?: unknown;
}): GenesisValidator {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (typeof v.name !== "string" || v.name.length < 1 || v.name.length > 64 || /[\x00-\x1f\x7f]/.test(v.name)) {
    throw new GenesisError(`validator name must be 1 to 64 printable characters, got ${JSON.stringify(v.name)}`);
  }
  const pubkey = typeof v.pubKey === "string" ? fromBase64(v.pubKey) : undefined;
  if (pubkey === undefined || pubkey.byteLength !== PUBLIC_KEY_LENGTH) {
    throw new GenesisError(`pubKey must be a base64 ed25519 public key (32 bytes), got ${JSON.stringify(v.pubKey)}`);
  }
  // 32 bytes is not enough: the bytes must be a point on the curve, and not one of the few weak points
  // (small order) under which any signature could verify.
  let weak: boolean;
  try {
    weak = ed25519.Point.fromBytes(pubkey).isSmallOrder();
  } catch {
    throw new GenesisError(`pubKey ${v.pubKey} is not a valid ed25519 public key (not a point on the curve)`);
  }
  if (weak) throw new GenesisError(`pubKey ${v.pubKey} is a weak (small-order) ed25519 key`);
  if (typeof v.selfStake !== "string" || !/^[1-9][0-9]{0,77}$/.test(v.selfStake)) {
    throw new GenesisError(`selfStake must be a positive decimal number of base units, got ${JSON.stringify(v.selfStake)}`);
  }
  const address = encodeAddress(addressFromPublicKey(pubkey));
  if (v.address !== undefined && v.address !== address) {
    throw new GenesisError(`address ${JSON.stringify(v.address)} does not match pubKey (expected ${address})`);
  }
  if (v.operator !== undefined) {
    try {
      decodeAddress(String(v.operator));
    } catch (err) {
      throw new GenesisError(`operator: ${(err as Error).message}`);
    }
  }
  const entry: GenesisValidator = { name: v.name, address, pubKey: toBase64(pubkey), selfStake: v.selfStake };
  if (v.operator !== undefined && v.operator !== address) entry.operator = String(v.operator);
  return entry;
}

export function addValidator(file: GenesisFile, entry: GenesisValidator): GenesisFile {
  const validators = file.validators ?? [];
  const same = validators.find((v) => v.pubKey === entry.pubKey || v.address === entry.address);
  if (same !== undefined) {
    throw new GenesisError(`validator ${entry.address} is already in genesis (as "${same.name}")`);
  }
  if (validators.some((v) => v.name === entry.name)) {
    throw new GenesisError(`a validator named "${entry.name}" is already in genesis; give this one another --name`);
  }
  // The self-stake comes from the operator's balance at genesis: an operator not yet funded gets exactly it.
  const operator = entry.operator ?? entry.address;
  const accounts = file.accounts ?? [];
  const funded = accounts.some((a) => a.address === operator);
  return {
    ...file,
    validators: [...validators, entry],
    accounts: funded ? accounts : [...accounts, { address: operator, balance: entry.selfStake }],
  };
}

/** Empties the validator set, e.g. to drop the coordinator's own `opl init` validator before adding the real ones. */
export function resetValidators(file: GenesisFile): GenesisFile {
  return { ...file, validators: [] };
}

export function addAccount(file: GenesisFile, address: string, balance: bigint): GenesisFile {
  try {
    decodeAddress(address);
  } catch (err) {
    throw new GenesisError((err as Error).message);
  }
  if (balance <= 0n) throw new GenesisError("balance must be more than 0");
  const accounts = file.accounts ?? [];
  if (accounts.some((a) => a.address === address)) {
    throw new GenesisError(`account ${address} is already in genesis`);
  }
  return { ...file, accounts: [...accounts, { address, balance: balance.toString() }] };
}

/**
 * This home's validator as genesis wants it: moniker, address, base64 public key, the default self-stake,
 * and as operator the home's `validator` keyring account if it has one (the key that signs its staking txs).
 */
export function showValidator(home: string): GenesisValidator {
  const paths = homePaths(home);
  const key = loadValidatorKey(paths.validatorKey);
  const { moniker } = readConfig(paths.config);
  const keyring = new Keyring(home);
  const entry: GenesisValidator = {
    name: moniker,
    address: encodeAddress(key.address),
    pubKey: toBase64(key.publicKey),
    selfStake: DEFAULT_GENESIS_SELF_STAKE.toString(),
  };
  if (keyring.has("validator")) entry.operator = keyring.get("validator").address;
  return entry;
}

export function readGenesisJson(path: string): GenesisFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new GenesisError(`no genesis at ${path} (run: opl init --home <dir>)`);
  }
  try {
    return JSON.parse(text) as GenesisFile;
  } catch {
    throw new GenesisError(`${path} is not valid JSON`);
  }
}

/**
 * Applies `edit` to a home's genesis.json and writes it back (atomically). The result is validated as a
 * whole, except that it may have no validators yet (between reset-validators and add-validator). A home
 * that has already made chain data is refused: its database belongs to the old genesis.
 */
export function editGenesis(home: string, edit: (file: GenesisFile) => GenesisFile): GenesisFile {
  const paths = homePaths(home);
  if (existsSync(paths.chainDb)) {
    throw new GenesisError(
      `${home} already has chain data (${paths.chainDb}) made from its current genesis; edit genesis in a home ` +
      "that has never been started (or remove its data/ directory if that chain is to be thrown away)",
    );
  }
  const next = edit(readGenesisJson(paths.genesis));
  if (next.validators.length > 0) parseGenesis(next);
  writeFileAtomic(paths.genesis, `${JSON.stringify(next, null, 2)}\n`, 0o644);
  return next;
}

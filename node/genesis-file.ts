import { readFileSync } from "node:fs";
import { addressFromPublicKey, decodeAddress, encodeAddress } from "../crypto/address.ts";
import { equalBytes, fromBase64, toBase64, toHex } from "../crypto/bytes.ts";
import { PUBLIC_KEY_LENGTH } from "../crypto/ed25519.ts";
import { sha256 } from "../crypto/hash.ts";
import type { Validator } from "../proto/block.ts";
import { CHAIN_ID_RE } from "../proto/tx.ts";
import type { Genesis } from "../state/genesis.ts";
import { DEFAULT_PARAMS } from "../state/params.ts";

/** genesis.json as written on disk: amounts are decimal strings of base units, keys base64. */
export interface GenesisFile {
  chainId: string;
  genesisTime: string;
  params: { minFee: string; maxTxBytes: number; maxBlockTxs: number; maxBlockBytes: number };
  validators: { name: string; address: string; pubKey: string; power: number }[];
  accounts: { address: string; balance: string }[];
}

export class GenesisError extends Error {
  override name = "GenesisError";
}

const DECIMAL_RE = /^(0|[1-9][0-9]{0,77})$/;
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function amount(text: unknown, what: string): bigint {
  if (typeof text !== "string" || !DECIMAL_RE.test(text)) {
    throw new GenesisError(`${what} must be a decimal string of base units, got ${JSON.stringify(text)}`);
  }
  return BigInt(text);
}

function positiveInt(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n <= 0) {
    throw new GenesisError(`${what} must be a positive integer, got ${JSON.stringify(n)}`);
  }
  return n;
}

/** Validates a parsed genesis.json and converts it; every problem is reported with the field it is in. */
export function parseGenesis(file: GenesisFile): Genesis {
  if (typeof file !== "object" || file === null) throw new GenesisError("genesis must be a JSON object");
  if (typeof file.chainId !== "string" || !CHAIN_ID_RE.test(file.chainId)) {
    throw new GenesisError(
      `chainId ${JSON.stringify(file.chainId)} is invalid (letters, digits, . _ -; up to 64)`,
    );
  }
  // RFC 3339 with an explicit zone only: a zone-less time would be read in each machine's local time zone.
  const genesisTimeMs =
    typeof file.genesisTime === "string" && RFC3339_RE.test(file.genesisTime) ? Date.parse(file.genesisTime) : Number.NaN;
  if (!Number.isFinite(genesisTimeMs)) {
    throw new GenesisError(
      `genesisTime ${JSON.stringify(file.genesisTime)} must be an RFC 3339 time with a zone, e.g. 2026-01-01T00:00:00Z`,
    );
  }
  const p = file.params ?? {};
  const params = {
    minFee: amount(p.minFee ?? DEFAULT_PARAMS.minFee.toString(), "params.minFee"),
    maxTxBytes: positiveInt(p.maxTxBytes ?? DEFAULT_PARAMS.maxTxBytes, "params.maxTxBytes"),
    maxBlockTxs: positiveInt(p.maxBlockTxs ?? DEFAULT_PARAMS.maxBlockTxs, "params.maxBlockTxs"),
    maxBlockBytes: positiveInt(p.maxBlockBytes ?? DEFAULT_PARAMS.maxBlockBytes, "params.maxBlockBytes"),
  };
  if (!Array.isArray(file.validators) || file.validators.length === 0) {
    throw new GenesisError("genesis needs at least one validator");
  }
  const validators: Validator[] = file.validators.map((v, i) => {
    const pubkey = fromBase64(String(v.pubKey));
    if (pubkey === undefined || pubkey.byteLength !== PUBLIC_KEY_LENGTH) {
      throw new GenesisError(`validators[${i}].pubKey must be a base64 ed25519 public key`);
    }
    const address = addressFromPublicKey(pubkey);
    if (v.address !== undefined && v.address !== encodeAddress(address)) {
      throw new GenesisError(
        `validators[${i}].address does not match its pubKey (expected ${encodeAddress(address)})`,
      );
    }
    return { address, pubkey, power: positiveInt(v.power, `validators[${i}].power`) };
  });
  for (let i = 1; i < validators.length; i++) {
    if (validators.slice(0, i).some((v) => equalBytes(v.address, validators[i].address))) {
      throw new GenesisError(`validators[${i}] appears twice`);
    }
  }
  const seen = new Set<string>();
  const accounts = (file.accounts ?? []).map((a, i) => {
    let address: Uint8Array;
    try {
      address = decodeAddress(a.address);
    } catch (err) {
      throw new GenesisError(`accounts[${i}].address: ${(err as Error).message}`);
    }
    if (seen.has(a.address)) throw new GenesisError(`accounts[${i}] (${a.address}) appears twice`);
    seen.add(a.address);
    return { address, balance: amount(a.balance, `accounts[${i}].balance`) };
  });
  return { chainId: file.chainId, genesisTimeMs, params, validators, accounts };
}

export function readGenesisFile(path: string): Genesis {
  let file: GenesisFile;
  try {
    file = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new GenesisError(`cannot read genesis ${path}: ${(err as Error).message}`);
  }
  return parseGenesis(file);
}

/** The file form of a genesis, in a fixed key order (also what its identity hash covers). */
export function genesisToFile(g: Genesis, names: string[] = []): GenesisFile {
  return {
    chainId: g.chainId,
    genesisTime: new Date(g.genesisTimeMs).toISOString(),
    params: {
      minFee: g.params.minFee.toString(),
      maxTxBytes: g.params.maxTxBytes,
      maxBlockTxs: g.params.maxBlockTxs,
      maxBlockBytes: g.params.maxBlockBytes,
    },
    validators: g.validators.map((v, i) => ({
      name: names[i] ?? `validator${i}`,
      address: encodeAddress(v.address),
      pubKey: toBase64(v.pubkey),
      power: v.power,
    })),
    accounts: g.accounts.map((a) => ({ address: encodeAddress(a.address), balance: a.balance.toString() })),
  };
}

/** Names the chain a database belongs to: chain id plus a hash of the genesis content. */
export function genesisIdentity(g: Genesis): string {
  const canonical = genesisToFile(g);
  for (const v of canonical.validators) v.name = "";
  return `${g.chainId}:${toHex(sha256(new TextEncoder().encode(JSON.stringify(canonical))))}`;
}

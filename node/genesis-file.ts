import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { addressFromPublicKey, decodeAddress, encodeAddress } from "../crypto/address.ts";
import { equalBytes, fromBase64, toBase64, toHex } from "../crypto/bytes.ts";
import { PUBLIC_KEY_LENGTH } from "../crypto/ed25519.ts";
import { sha256 } from "../crypto/hash.ts";

import { CHAIN_ID_RE } from "../proto/tx.ts";
import type { Genesis, GenesisAccountsFile, GenesisValidator } from "../state/genesis.ts";
import { type ChainParams, DEFAULT_PARAMS } from "../state/params.ts";
import { ParamsError, type ParamsJson, paramsFromJson, paramsToJson } from "../state/params-check.ts";

/** genesis.json as written on disk: amounts are decimal strings of base units, keys base64. */
export interface GenesisFile {
  chainId: string;
  genesisTime: string;
  params: ParamsFile;
  /**
   * Created through the staking module at genesis: selfStake (base units) moves from the operator's
   * account (default: the validator key's own address) into the validator's bond.
   */
  validators: { name: string; address: string; pubKey: string; selfStake: string; operator?: string }[];
  accounts: { address: string; balance: string }[];
  /**
   * Accounts in a file of their own, one JSON object a line ({"address","balance"}), in ascending order of
   * the address's bytes: a genesis of millions of accounts is streamed, never one JSON string. The chain's
   * identity covers its sha256 and count (not its path); node/genesis-accounts.ts reads and writes it.
   */
  accountsFile?: { path: string; sha256: string; count: number };
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

type ParamsFile = ParamsJson;

/** Params over the defaults, checked by the same function governance uses (state/params-check.ts). */
function paramsFromFile(file: unknown): ChainParams {
  try {
    return paramsFromJson(file);
  } catch (err) {
    if (err instanceof ParamsError) throw new GenesisError(err.message);
    throw err;
  }
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
  const params = paramsFromFile(file.params ?? {});
  if (!Array.isArray(file.validators) || file.validators.length === 0) {
    throw new GenesisError("genesis needs at least one validator");
  }
  const validators: GenesisValidator[] = file.validators.map((v, i) => {
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
    let operator = address;
    if (v.operator !== undefined) {
      try {
        operator = decodeAddress(v.operator);
      } catch (err) {
        throw new GenesisError(`validators[${i}].operator: ${(err as Error).message}`);
      }
    }
    const moniker = typeof v.name === "string" ? v.name : "";
    return { address, pubkey, operator, moniker, selfStake: amount(v.selfStake, `validators[${i}].selfStake`) };
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
  const accountsFile = file.accountsFile === undefined ? undefined : accountsFileFrom(file.accountsFile);
  return { chainId: file.chainId, genesisTimeMs, params, validators, accounts, ...(accountsFile && { accountsFile }) };
}

const SHA256_HEX_RE = /^[0-9a-f]{64}$/;

function accountsFileFrom(f: unknown): GenesisAccountsFile {
  const { path, sha256, count } = (typeof f === "object" && f !== null ? f : {}) as Record<string, unknown>;
  if (typeof path !== "string" || path.length === 0) throw new GenesisError("accountsFile.path must be a file name");
  if (typeof sha256 !== "string" || !SHA256_HEX_RE.test(sha256)) {
    throw new GenesisError("accountsFile.sha256 must be the file's sha256, 64 lowercase hex digits");
  }
  return { path, sha256, count: positiveInt(count, "accountsFile.count") };
}

export function readGenesisFile(path: string): Genesis {
  let file: GenesisFile;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
    file = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new GenesisError(`cannot read genesis ${path}: ${(err as Error).message}`);
  }
  const genesis = parseGenesis(file);
  // The parameters as read count too: a binary with other defaults reads the same bytes as another chain.
  const params = new TextEncoder().encode(JSON.stringify(paramsToJson(genesis.params)));
  genesis.sourceDigest = toHex(sha256(sha256(bytes), sha256(params)));
  const accountsFile = genesis.accountsFile;
  if (accountsFile !== undefined) accountsFile.location = resolve(dirname(path), accountsFile.path);
  return genesis;
}

/** The file form of a genesis, in a fixed key order (also what its identity hash covers). */
export function genesisToFile(g: Genesis, names: string[] = []): GenesisFile {
  return {
    chainId: g.chainId,
    genesisTime: new Date(g.genesisTimeMs).toISOString(),
    params: paramsToJson(g.params),
    validators: g.validators.map((v, i) => ({
      name: names[i] ?? (v.moniker || `validator${i}`),
      address: encodeAddress(v.address),
      pubKey: toBase64(v.pubkey),
      selfStake: v.selfStake.toString(),
      ...(equalBytes(v.operator, v.address) ? {} : { operator: encodeAddress(v.operator) }),
    })),
    accounts: g.accounts.map((a) => ({ address: encodeAddress(a.address), balance: a.balance.toString() })),
    ...(g.accountsFile && {
      accountsFile: { path: g.accountsFile.path, sha256: g.accountsFile.sha256, count: g.accountsFile.count },
    }),
  };
}

/**
 * Names the chain a database belongs to: chain id plus a hash of the genesis content. An accounts file counts
 * by its sha256 and count (where it lies does not matter), so the identity is computed from genesis.json
 * alone, without reading millions of accounts; a genesis without one keeps the identity it always had.
 */
export function genesisIdentity(g: Genesis): string {
  const canonical = genesisToFile(g);
  for (const v of canonical.validators) v.name = "";
  if (canonical.accountsFile !== undefined) canonical.accountsFile.path = "";
  // Governance's params came later: with their defaults, a genesis keeps the identity it had before them.
  if (JSON.stringify(canonical.params.gov) === JSON.stringify(paramsToJson(DEFAULT_PARAMS.gov))) {
    delete canonical.params.gov;
  }
  return `${g.chainId}:${toHex(sha256(new TextEncoder().encode(JSON.stringify(canonical))))}`;
}

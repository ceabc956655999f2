import { ADDRESS_LENGTH } from "../crypto/address.ts";
import { mintSupply, setAccount } from "./modules/bank/bank.ts";
import { MODULES } from "./modules/registry.ts";
import type { ChainParams } from "./params.ts";
import { Overlay, type StateReader, type StateWrite } from "./view.ts";

/** Genesis in its parsed form (node/genesis-file.ts reads and validates the JSON file). */
export interface Genesis {
  chainId: string;
  genesisTimeMs: number;
  params: ChainParams;
  validators: GenesisValidator[];
  accounts: { address: Uint8Array; balance: bigint }[];
  /**
   * More accounts, in a file of their own that genesis names by its sha256 (node/genesis-accounts.ts): read
   * in a stream only when genesis is written into an empty database. genesisWrites covers `accounts` only.
   */
  accountsFile?: GenesisAccountsFile;
  /**
   * sha256 (hex) of the genesis.json bytes this was read from and of its parameters as read (defaults
   * included): a database records its identity under it, so a restart need not recompute the identity.
   */
  sourceDigest?: string;
}

export interface GenesisAccountsFile {
  /** As genesis.json gives it (relative to genesis.json's directory). */
  path: string;
  /** sha256 of the file's bytes, lowercase hex: what the chain's identity covers. */
  sha256: string;
  /** Accounts (lines) it holds. */
  count: number;
  /** The file's absolute location, when genesis was read from a file. */
  location?: string;
}

/** A validator created at genesis, through the staking module like any other. */
export interface GenesisValidator {
  /** The consensus key's address (derived from pubkey). */
  address: Uint8Array;
  pubkey: Uint8Array;
  /** The account that owns the validator and pays its self-stake. */
  operator: Uint8Array;
  moniker: string;
  selfStake: bigint;
}

const EMPTY: StateReader = { get: () => undefined };

/**
 * The state writes genesis makes: each module's genesis in registry order (bank: every account minted, so
 * the supply is their sum; staking: every genesis validator created from its operator's balance, and the
 * validator set of height 1).
 * Pure. Throws (GenesisError's message) if a validator cannot be created.
 */
export function genesisWrites(
  genesis: Genesis,
  streamed?: { base: StateReader; supply: bigint },
): StateWrite[] {
  // A streamed genesis: its file's accounts are already in `base` (validators may be paid from them).
  const view = new Overlay(streamed?.base ?? EMPTY);
  if (streamed !== undefined) mintSupply(view, streamed.supply);
  for (const module of MODULES) if ("initGenesis" in module) module.initGenesis(view, genesis);
  return view.sortedWrites();
}

/** The writes of accounts funded from a streamed genesis file: each as `mint` credits it, but the supply. */
export function fundedAccountWrites(accounts: readonly { address: Uint8Array; balance: bigint }[]): StateWrite[] {
  const view = new Overlay(EMPTY);
  for (const a of accounts) {
    if (a.address.byteLength !== ADDRESS_LENGTH) throw new Error("genesis account address must be 20 bytes");
    setAccount(view, a.address, { nonce: 0, balance: a.balance });
  }
  return view.sortedWrites();
}

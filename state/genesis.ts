import { ADDRESS_LENGTH } from "../crypto/address.ts";
import { mint } from "./modules/bank.ts";
import { createGenesisValidator, scheduleInitialValidatorSet } from "./modules/staking.ts";
import type { ChainParams } from "./params.ts";
import { Overlay, type StateReader, type StateWrite } from "./view.ts";

/** Genesis in its parsed form (node/genesis-file.ts reads and validates the JSON file). */
export interface Genesis {
  chainId: string;
  genesisTimeMs: number;
  params: ChainParams;
  validators: GenesisValidator[];
  accounts: { address: Uint8Array; balance: bigint }[];
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
 * The state writes genesis makes: every account minted (so the supply is their sum), then every genesis
 * validator created by the staking module from its operator's balance, and the validator set of height 1.
 * Pure. Throws (GenesisError's message) if a validator cannot be created.
 */
export function genesisWrites(genesis: Genesis): StateWrite[] {
  const view = new Overlay(EMPTY);
  for (const account of genesis.accounts) {
    if (account.address.byteLength !== ADDRESS_LENGTH)
      throw new Error("genesis account address must be 20 bytes");
    mint(view, account.address, account.balance);
  }
  for (const v of genesis.validators) createGenesisValidator(view, v, genesis.params);
  // A genesis without validators is only a state for tests of the state machine (genesis.json needs one).
  if (genesis.validators.length > 0) scheduleInitialValidatorSet(view, genesis.params);
  return view.sortedWrites();
}

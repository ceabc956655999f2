import { ADDRESS_LENGTH } from "../crypto/address.ts";
import type { Validator } from "../proto/block.ts";
import { mint } from "./modules/bank.ts";
import type { ChainParams } from "./params.ts";
import { Overlay, type StateReader, type StateWrite } from "./view.ts";

/** Genesis in its parsed form (node/genesis-file.ts reads and validates the JSON file). */
export interface Genesis {
  chainId: string;
  genesisTimeMs: number;
  params: ChainParams;
  validators: Validator[];
  accounts: { address: Uint8Array; balance: bigint }[];
}

const EMPTY: StateReader = { get: () => undefined };

/** The state writes genesis makes: every account minted, so the supply is their sum. Pure. */
export function genesisWrites(genesis: Genesis): StateWrite[] {
  const view = new Overlay(EMPTY);
  for (const account of genesis.accounts) {
    if (account.address.byteLength !== ADDRESS_LENGTH)
      throw new Error("genesis account address must be 20 bytes");
    mint(view, account.address, account.balance);
  }
  return view.sortedWrites();
}

import { encodeAddress } from "../../crypto/address.ts";
import { decodeAmount, encodeAmount } from "../../proto/codec.ts";
import { type Account, decodeStoredAccount, encodeAccount } from "../../proto/records.ts";
import { TxError } from "../errors.ts";
import { MODULE_PREFIX, stateKey } from "../keys.ts";
import type { Overlay, StateReader } from "../view.ts";

/**
 * The bank: balances, nonces (one account record per address, so a transfer touches one key per party) and
 * the total supply. Every function here moves OPEN without creating or destroying it, except `mint`, which
 * only genesis uses and which raises the supply by exactly what it credits.
 */

const EMPTY_ACCOUNT: Account = { nonce: 0, balance: 0n };

export function accountKey(address: Uint8Array): Uint8Array {
  return stateKey(MODULE_PREFIX.bankAccount, address);
}

export function getAccount(view: StateReader, address: Uint8Array): Account {
  const raw = view.get(accountKey(address));
  return raw === undefined ? EMPTY_ACCOUNT : decodeStoredAccount(raw);
}

export function setAccount(view: Overlay, address: Uint8Array, account: Account): void {
  view.set(accountKey(address), encodeAccount(account));
}

export function getSupply(view: StateReader): bigint {
  const raw = view.get(MODULE_PREFIX.bankSupply);
  return raw === undefined ? 0n : decodeAmount(raw, "supply");
}

function setSupply(view: Overlay, supply: bigint): void {
  view.set(MODULE_PREFIX.bankSupply, encodeAmount(supply));
}

/** Moves `amount` from one balance to another. Throws INSUFFICIENT_FUNDS, leaving the view untouched. */
export function transfer(view: Overlay, from: Uint8Array, to: Uint8Array, amount: bigint): void {
  const sender = getAccount(view, from);
  if (sender.balance < amount) {
    throw new TxError(
      "INSUFFICIENT_FUNDS",
      `insufficient funds: ${encodeAddress(from)} has ${sender.balance}, needs ${amount}`,
    );
  }
  setAccount(view, from, { ...sender, balance: sender.balance - amount });
  const recipient = getAccount(view, to); // read after the debit: a self-transfer must net to zero
  setAccount(view, to, { ...recipient, balance: recipient.balance + amount });
}

/** Genesis only: credits `amount` and raises the supply by the same. */
export function mint(view: Overlay, to: Uint8Array, amount: bigint): void {
  const account = getAccount(view, to);
  setAccount(view, to, { ...account, balance: account.balance + amount });
  setSupply(view, getSupply(view) + amount);
}

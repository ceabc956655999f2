import { encodeAddress } from "../../../crypto/address.ts";
import { decodeAmount, encodeAmount } from "../../../proto/codec.ts";
import { type Account, decodeStoredAccount, encodeAccount } from "../../../proto/records.ts";
import { TxError } from "../../errors.ts";
import { MODULE_PREFIX } from "../../keys.ts";
import { shortBytesId } from "../../../crypto/bytes.ts";
import { keyId, type Overlay, readRecord, type RecordCodec, type StateReader } from "../../view.ts";
import { accountKey } from "./keys.ts";

/**
 * The bank: balances, nonces (one account record per address, so a transfer touches one key per party) and
 * the total supply. Every function here moves OPEN without creating or destroying it, except `mint`, which
 * only genesis uses and which raises the supply by exactly what it credits.
 */

const EMPTY_ACCOUNT: Account = { nonce: 0, balance: 0n };

/** Accounts as state records: decoded once per value and encoded once per block (state/view.ts). */
const ACCOUNT: RecordCodec<Account> = { decode: decodeStoredAccount, encode: encodeAccount };

/**
 * An account's state key, its id and its address text, made once per address and reused by every read and
 * write of it (see accountRef). Shared: never change one.
 */
export interface AccountRef {
  key: Uint8Array;
  id: string;
  /** The address's 20 bytes (a view of `key`). */
  address: Uint8Array;
  /** Its bech32 text, once asked for (addressText). */
  text: string | undefined;
}

/**
 * Refs of the addresses that recur (senders, a busy recipient, the fee recipient: from tx to tx and block to
 * block), so a tx's account reads make one short string (the address's id) instead of a key, its id and an
 * object each, and its events reuse the address texts. Pure: a ref is a function of the address bytes.
 * An address is kept from its second sighting on: one seen once (a new account's first credit) leaves only its
 * id string behind, not a ref that would outlive the young generation for nothing. Each set is emptied when
 * full (no eviction order to keep); at most REF_CACHE_LIMIT refs (a few MB).
 */
const REF_CACHE_LIMIT = 16_384;
const refs = new Map<string, AccountRef>();
const seenOnce = new Set<string>();

export function accountRef(address: Uint8Array): AccountRef {
  const addressId = shortBytesId(address);
  const cached = refs.get(addressId);
  if (cached !== undefined) return cached;
  const key = accountKey(address);
  const ref = { key, id: keyId(key), address: key.subarray(key.byteLength - address.byteLength), text: undefined };
  if (seenOnce.has(addressId)) {
    if (refs.size >= REF_CACHE_LIMIT) refs.clear();
    refs.set(addressId, ref);
  } else {
    if (seenOnce.size >= REF_CACHE_LIMIT) seenOnce.clear();
    seenOnce.add(addressId);
  }
  return ref;
}

/** The ref's address as bech32 text (encodeAddress), kept on the ref. */
export function addressText(ref: AccountRef): string {
  return (ref.text ??= encodeAddress(ref.address));
}

/** The account (never mutate it: build a new one and write that). */
export function readAccount(view: StateReader, ref: AccountRef): Account {
  return readRecord(view, ref.key, ACCOUNT, ref.id) ?? EMPTY_ACCOUNT;
}

export function writeAccount(view: Overlay, ref: AccountRef, account: Account): void {
  view.setRecord(ref.key, account, ACCOUNT, ref.id);
}

export function getAccount(view: StateReader, address: Uint8Array): Account {
  return readAccount(view, accountRef(address));
}

export function setAccount(view: Overlay, address: Uint8Array, account: Account): void {
  writeAccount(view, accountRef(address), account);
}

export function getSupply(view: StateReader): bigint {
  const raw = view.get(MODULE_PREFIX.bankSupply);
  return raw === undefined ? 0n : decodeAmount(raw, "supply");
}

function setSupply(view: Overlay, supply: bigint): void {
  view.set(MODULE_PREFIX.bankSupply, encodeAmount(supply));
}

/** Moves `amount` from one balance to another. Throws INSUFFICIENT_FUNDS, leaving the view untouched. */
export function transfer(
  view: Overlay,
  from: Uint8Array,
  to: Uint8Array,
  amount: bigint,
  fromRef: AccountRef = accountRef(from),
  toRef: AccountRef = accountRef(to),
): void {
  const sender = readAccount(view, fromRef);
  if (sender.balance < amount) {
    throw new TxError(
      "INSUFFICIENT_FUNDS",
      `insufficient funds: ${addressText(fromRef)} has ${sender.balance}, needs ${amount}`,
    );
  }
  writeAccount(view, fromRef, { nonce: sender.nonce, balance: sender.balance - amount });
  const recipient = readAccount(view, toRef); // read after the debit: a self-transfer must net to zero
  writeAccount(view, toRef, { nonce: recipient.nonce, balance: recipient.balance + amount });
}

/**
 * Genesis only: raises the supply by `amount` credited to accounts written apart (a genesis whose accounts
 * are streamed from a file, see node/genesis-accounts.ts: each written as mint would, without the supply).
 */
export function mintSupply(view: Overlay, amount: bigint): void {
  setSupply(view, getSupply(view) + amount);
}

/** Genesis only: credits `amount` and raises the supply by the same. */
export function mint(view: Overlay, to: Uint8Array, amount: bigint): void {
  const account = getAccount(view, to);
  setAccount(view, to, { ...account, balance: account.balance + amount });
  setSupply(view, getSupply(view) + amount);
}

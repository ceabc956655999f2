import { describe, expect, it } from "vitest";
import { encodeAddress } from "../../crypto/address.ts";
import { decodeStoredAccount, encodeAccount, type Account } from "../../proto/records.ts";
import { AmountText } from "../../state/amount-text.ts";
import { accountRef, addressText } from "../../state/modules/bank/bank.ts";
import { accountKey } from "../../state/modules/bank/keys.ts";
import { Overlay, type RecordCodec, type StateReader } from "../../state/view.ts";

/**
 * A block's overlay writes a slot over in place when nothing can need the old one (no journal open, or a
 * slot made inside the open journal). What a user would see if that went wrong: a failed tx's writes left
 * behind, or a rolled-back tx undoing an earlier tx's writes.
 */
const ACCOUNT: RecordCodec<Account> = { decode: decodeStoredAccount, encode: encodeAccount };
const EMPTY: StateReader = { get: () => undefined };
const key = (n: number) => accountKey(new Uint8Array(20).fill(n));
const balance = (view: Overlay, n: number) => view.getRecord(key(n), ACCOUNT)?.balance;
const put = (view: Overlay, n: number, b: bigint) => view.setRecord(key(n), { nonce: 0, balance: b }, ACCOUNT);

describe("overlay writes and the undo journal", () => {
  it("a rollback restores what each key held before begin(), however often the tx wrote it", () => {
    const view = new Overlay(EMPTY);
    put(view, 1, 10n);
    put(view, 1, 11n); // outside a journal: written over
    view.begin();
    put(view, 1, 20n);
    put(view, 1, 21n); // the same slot again, inside the journal
    put(view, 2, 5n);
    view.set(key(3), Uint8Array.of(1));
    view.delete(key(3));
    expect(balance(view, 1)).toBe(21n);
    view.rollback();
    expect(balance(view, 1)).toBe(11n);
    expect(balance(view, 2)).toBeUndefined();
    expect(view.get(key(3))).toBeUndefined();
    expect(view.size).toBe(1);
  });

  it("a rollback does not undo an earlier, committed tx's writes", () => {
    const view = new Overlay(EMPTY);
    view.begin();
    put(view, 1, 30n);
    view.commit();
    put(view, 1, 31n); // the next tx's ante step, outside a journal
    view.begin();
    put(view, 1, 40n);
    view.rollback();
    expect(balance(view, 1)).toBe(31n);
    view.begin();
    put(view, 1, 50n);
    view.commit();
    expect(balance(view, 1)).toBe(50n);
    const writes = view.sortedWrites();
    expect(writes).toHaveLength(1);
    expect(decodeStoredAccount(writes[0].value as Uint8Array).balance).toBe(50n);
  });

  it("a record read before a key is written again keeps its value", () => {
    const view = new Overlay(EMPTY);
    put(view, 1, 7n);
    const before = view.getRecord(key(1), ACCOUNT);
    view.get(key(1)); // its bytes made
    put(view, 1, 8n);
    expect(before?.balance).toBe(7n);
    expect(decodeStoredAccount(view.get(key(1)) as Uint8Array).balance).toBe(8n);
  });
});

describe("account refs and event texts", () => {
  it("a ref holds the account's key, its id and its address text, and is kept for an address seen twice", () => {
    const address = new Uint8Array(20).fill(0xab);
    const ref = accountRef(address);
    expect(ref.key).toEqual(accountKey(address));
    expect(ref.address).toEqual(address);
    expect(addressText(ref)).toBe(encodeAddress(address));
    const kept = accountRef(Uint8Array.from(address)); // seen twice: kept from now on
    expect(accountRef(Uint8Array.from(address))).toBe(kept);
    expect(kept.key).toEqual(ref.key);
    expect(accountRef(new Uint8Array(20).fill(0xac)).key).toEqual(accountKey(new Uint8Array(20).fill(0xac)));
  });

  it("amount texts follow the amount", () => {
    const texts = new AmountText();
    expect([1n, 1n, 25n, 1n, 0n, 10n ** 30n].map((a) => texts.of(a))).toEqual(["1", "1", "25", "1", "0", `${10n ** 30n}`]);
  });
});

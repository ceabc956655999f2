import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { shortBytesId } from "../../crypto/bytes.ts";
import { accountKey } from "../../state/modules/bank/keys.ts";
import { MODULE_PREFIX, stateKey } from "../../state/keys.ts";
import { keyFromId, keyId } from "../../state/view.ts";

const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");

describe("short byte ids (Map keys, one char per byte)", () => {
  it("are the latin1 reading of the bytes at every length, the fixed-argument ones (20, 30, 32) included", () => {
    for (let length = 0; length <= 140; length++) {
      for (const fill of [0x00, 0x7f, 0x80, 0xff, -1]) {
        const bytes = fill < 0 ? new Uint8Array(randomBytes(length)) : new Uint8Array(length).fill(fill);
        expect(shortBytesId(bytes)).toBe(latin1(bytes));
        expect(keyFromId(keyId(bytes))).toEqual(bytes); // an id turns back into its key
      }
    }
  });

  it("read a view at its own offset, not its buffer's start", () => {
    const backing = new Uint8Array(randomBytes(100));
    for (const length of [20, 30, 32]) {
      const view = backing.subarray(7, 7 + length);
      expect(shortBytesId(view)).toBe(latin1(view));
    }
  });

  it("an account key is the bank prefix and the address, as stateKey builds it", () => {
    const address = new Uint8Array(randomBytes(20));
    expect(accountKey(address)).toEqual(stateKey(MODULE_PREFIX.bankAccount, address));
  });
});

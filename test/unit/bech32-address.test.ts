import { bech32 } from "@scure/base";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ADDRESS_PREFIX, decodeAddress, encodeAddress } from "../../crypto/address.ts";
import { bech32Encoder20 } from "../../crypto/bech32-address.ts";
import { bech32Encode } from "../../light/bech32.ts";

describe("the 20-byte bech32 address encoder", () => {
  it("gives @scure/base's text for any 20 bytes and prefix, and the text decodes back", () => {
    const opl = bech32Encoder20(ADDRESS_PREFIX);
    const other = bech32Encoder20("cosmos");
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (address) => {
        const text = bech32.encode(ADDRESS_PREFIX, bech32.toWords(address));
        expect(opl(address)).toBe(text);
        expect(encodeAddress(address)).toBe(text);
        expect(bech32Encode(ADDRESS_PREFIX, address)).toBe(text); // the light client's encoder agrees
        expect(decodeAddress(text)).toEqual(address);
        expect(other(address)).toBe(bech32.encode("cosmos", bech32.toWords(address)));
      }),
      { numRuns: 2000 },
    );
    for (const fill of [0, 0xff]) {
      const address = new Uint8Array(20).fill(fill);
      expect(opl(address)).toBe(bech32.encode(ADDRESS_PREFIX, bech32.toWords(address)));
    }
  });

  it("refuses other lengths; encodeAddress still encodes them the general way", () => {
    expect(() => bech32Encoder20(ADDRESS_PREFIX)(new Uint8Array(32))).toThrow(/20-byte address/);
    const long = new Uint8Array(32).fill(7);
    expect(encodeAddress(long)).toBe(bech32.encode(ADDRESS_PREFIX, bech32.toWords(long)));
  });
});

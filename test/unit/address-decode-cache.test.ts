import { describe, expect, it, vi } from "vitest";

// Counts the bech32 decodes (checksum and all) behind decodeAddress, the cost its cache saves.
const decodes = vi.hoisted(() => ({ count: 0 }));
vi.mock("@scure/base", async (importOriginal) => {
  const real = await importOriginal<typeof import("@scure/base")>();
  return {
    ...real,
    bech32: {
      ...real.bech32,
      decode: (...args: Parameters<typeof real.bech32.decode>) => {
        decodes.count++;
        return real.bech32.decode(...args);
      },
    },
  };
});

const { decodeAddress, encodeAddress } = await import("../../crypto/address.ts");

describe("decodeAddress on recurring texts", () => {
  it("checks a text's bech32 once, however often it recurs (an RPC schema and its handler both decode it)", () => {
    const text = encodeAddress(new Uint8Array(20).fill(3));
    const before = decodes.count;
    for (let i = 0; i < 100; i++) expect(decodeAddress(text)).toEqual(new Uint8Array(20).fill(3));
    expect(decodes.count - before).toBe(1);
  });

  it("refuses a bad text every time, with its reason (only texts that decoded are kept)", () => {
    const text = encodeAddress(new Uint8Array(20).fill(4));
    decodeAddress(text);
    const flipped = `${text.slice(0, -1)}${text.endsWith("q") ? "p" : "q"}`;
    for (let i = 0; i < 3; i++) expect(() => decodeAddress(flipped)).toThrow(/invalid address/);
  });
});

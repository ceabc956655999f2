import { describe, expect, it } from "vitest";
import { addressFromPublicKey, decodeAddress, encodeAddress } from "../../crypto/address.ts";
import { equalBytes, fromBase64, fromHex, toBase64, toHex } from "../../crypto/bytes.ts";
import {
  generateSecretKey,
  privateKeyObject,
  publicKeyOf,
  signFast,
  signPortable,
  verify,
  verifyAsync,
} from "../../crypto/ed25519.ts";
import { sha256 } from "../../crypto/hash.ts";
import { merkleRoot } from "../../crypto/merkle.ts";

describe("ed25519", () => {
  it("portable (noble) and OpenSSL signatures are identical and verify", async () => {
    const sk = generateSecretKey();
    const pk = publicKeyOf(sk);
    const msg = sha256(new TextEncoder().encode("hello"));
    const a = signPortable(msg, sk);
    const b = signFast(msg, privateKeyObject(sk));
    expect(toHex(a)).toBe(toHex(b));
    expect(verify(msg, a, pk)).toBe(true);
    expect(await verifyAsync(msg, a, pk)).toBe(true);
  });

  it("rejects a tampered message, signature or key, and malformed inputs without throwing", async () => {
    const sk = generateSecretKey();
    const pk = publicKeyOf(sk);
    const msg = sha256(Uint8Array.of(1));
    const sig = signPortable(msg, sk);
    const badSig = sig.slice();
    badSig[10] ^= 1;
    expect(verify(sha256(Uint8Array.of(2)), sig, pk)).toBe(false);
    expect(verify(msg, badSig, pk)).toBe(false);
    expect(verify(msg, sig, publicKeyOf(generateSecretKey()))).toBe(false);
    expect(verify(msg, sig.subarray(0, 63), pk)).toBe(false);
    expect(verify(msg, sig, new Uint8Array(5))).toBe(false);
    expect(await verifyAsync(msg, badSig, pk)).toBe(false);
  });
});

describe("addresses", () => {
  it("are 20 bytes of sha256(pubkey) in bech32 with prefix opl", () => {
    const pk = publicKeyOf(generateSecretKey());
    const addr = addressFromPublicKey(pk);
    expect(addr).toEqual(sha256(pk).subarray(0, 20));
    const text = encodeAddress(addr);
    expect(text.startsWith("opl1")).toBe(true);
    expect(decodeAddress(text)).toEqual(addr);
  });

  it("reject wrong prefixes, checksums and lengths with a reason", () => {
    const text = encodeAddress(new Uint8Array(20).fill(1));
    const flipped = `${text.slice(0, -1)}${text.endsWith("q") ? "p" : "q"}`;
    expect(() => decodeAddress(flipped)).toThrow(/invalid address/);
    expect(() => decodeAddress("cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a")).toThrow(/invalid address/);
    expect(() => decodeAddress("opl1qqqqqqqqq")).toThrow(/invalid address/);
  });

  it("decode a recurring text once: a caller's copy is its own, and a bad checksum still fails after the good one", () => {
    const text = encodeAddress(new Uint8Array(20).fill(2));
    const first = decodeAddress(text);
    first.fill(9);
    expect(decodeAddress(text)).toEqual(new Uint8Array(20).fill(2));
    const flipped = `${text.slice(0, -1)}${text.endsWith("q") ? "p" : "q"}`;
    expect(() => decodeAddress(flipped)).toThrow(/invalid address/);
  });
});

describe("byte helpers", () => {
  it("parse strict hex and base64 only", () => {
    expect(fromHex("00ff")).toEqual(Uint8Array.of(0, 255));
    expect(fromHex("0F")).toBeUndefined();
    expect(fromHex("abc")).toBeUndefined();
    expect(fromBase64("AQID")).toEqual(Uint8Array.of(1, 2, 3));
    expect(fromBase64("AQI$")).toBeUndefined();
    expect(fromBase64("AQI")).toBeUndefined();
    expect(fromBase64("AQ==")).toEqual(Uint8Array.of(1));
    expect(fromBase64("AQI=")).toEqual(Uint8Array.of(1, 2));
    expect(fromBase64("A===")).toBeUndefined();
    expect(fromBase64("AQ=A")).toBeUndefined();
    expect(fromBase64("AQ==AQID")).toBeUndefined();
    expect(fromBase64("AQ\nID")).toBeUndefined();
    expect(fromBase64("")).toEqual(new Uint8Array(0));
  });

  it("round-trip hex and base64 of 9 MiB (more than a maximum-size block)", () => {
    const bytes = new Uint8Array(9 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131) & 0xff;
    // equalBytes, not toEqual: vitest's deep equality takes minutes on 9 MiB.
    expect(equalBytes(fromBase64(toBase64(bytes)) ?? new Uint8Array(0), bytes)).toBe(true);
    expect(equalBytes(fromHex(toHex(bytes)) ?? new Uint8Array(0), bytes)).toBe(true);
    const bad = `${toBase64(bytes).slice(0, -8)}AAA$AAAA`;
    expect(fromBase64(bad)).toBeUndefined();
  });
});

describe("merkle root", () => {
  it("depends on every item and on order", () => {
    const items = [1, 2, 3].map((n) => Uint8Array.of(n));
    const root = merkleRoot(items);
    expect(merkleRoot([items[1], items[0], items[2]])).not.toEqual(root);
    expect(merkleRoot(items.slice(0, 2))).not.toEqual(root);
    expect(merkleRoot([])).toEqual(sha256());
    // A single leaf's root is its leaf hash, not the item itself (leaf/inner domain separation).
    expect(merkleRoot([items[0]])).toEqual(sha256(Uint8Array.of(0), items[0]));
  });
});

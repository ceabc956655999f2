import { describe, expect, it } from "vitest";
import { addressFromPublicKey, encodeAddress } from "../../crypto/address.ts";
import { fromHex, toHex } from "../../crypto/bytes.ts";
import { publicKeyOf } from "../../crypto/ed25519.ts";
import {
  generateMnemonic,
  MnemonicError,
  mnemonicSeed,
  mnemonicToSecretKey,
  OPL_DERIVATION_PATH,
  slip10Ed25519,
} from "../../crypto/mnemonic.ts";

const hex = (s: string) => fromHex(s) as Uint8Array;
const H = 0x80000000;

describe("SLIP-0010 ed25519 derivation: the specification's test vector 1", () => {
  // satoshilabs/slips slip-0010.md, "Test vector 1 for ed25519", seed 000102030405060708090a0b0c0d0e0f.
  const seed = hex("000102030405060708090a0b0c0d0e0f");
  const chain: [number[], string, string, string][] = [
    [[], "2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7",
      "90046a93de5380a72b5e45010748567d5ea02bbf6522f979e05c0d8d8ca9fffb",
      "a4b2856bfec510abab89753fac1ac0e1112364e7d250545963f135f2a33188ed"],
    [[0], "68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3",
      "8b59aa11380b624e81507a27fedda59fea6d0b779a778918a2fd3590e16e9c69",
      "8c8a13df77a28f3445213a0f432fde644acaa215fc72dcdf300d5efaa85d350c"],
    [[0, 1], "b1d0bad404bf35da785a64ca1ac54b2617211d2777696fbffaf208f746ae84f2",
      "a320425f77d1b5c2505a6b1b27382b37368ee640e3557c315416801243552f14",
      "1932a5270f335bed617d5b935c80aedb1a35bd9fc1e31acafd5372c30f5c1187"],
    [[0, 1, 2], "92a5b23c0b8a99e37d07df3fb9966917f5d06e02ddbd909c7e184371463e9fc9",
      "2e69929e00b5ab250f49c3fb1c12f252de4fed2c1db88387094a0f8c4c9ccd6c",
      "ae98736566d30ed0e9d2f4486a64bc95740d89c7db33f52121f8ea8f76ff0fc1"],
    [[0, 1, 2, 2, 1000000000], "8f94d394a8e8fd6b1bc2f3f49f5c47e385281d5c17e65324b0f62483e37e8793",
      "68789923a0cac2cd5a29172a475fe9e0fb14cd6adb5ad98a3fa70333e7afa230", ""],
  ];
  for (const [path, key, chainCode, publicKey] of chain) {
    it(`m${path.map((i) => `/${i}'`).join("")}`, () => {
      const node = slip10Ed25519(seed, path.map((i) => i + H));
      expect(toHex(node.key)).toBe(key);
      expect(toHex(node.chainCode)).toBe(chainCode);
      if (publicKey !== "") expect(toHex(publicKeyOf(node.key))).toBe(publicKey);
    });
  }

  it("refuses a non-hardened index (ed25519 has only hardened derivation)", () => {
    expect(() => slip10Ed25519(seed, [1])).toThrow(/hardened/);
  });
});

describe("BIP-39 mnemonics (english wordlist) to an OPL key", () => {
  it("a new mnemonic is 24 words and gives the same key every time", () => {
    const words = generateMnemonic();
    expect(words.split(" ")).toHaveLength(24);
    expect(toHex(mnemonicToSecretKey(words))).toBe(toHex(mnemonicToSecretKey(words)));
    expect(generateMnemonic()).not.toBe(words);
  });

  it("gives BIP-39's seed: the reference vector (all-zero entropy, passphrase TREZOR)", () => {
    const words = `${"abandon ".repeat(23)}art`;
    expect(toHex(mnemonicSeed(words, "TREZOR"))).toBe(
      "bda85446c68413707090a52022edd26a1c9462295029f2e60cd7c4f2bbd3097170af7a4d73245cafa9c3cca8d561a7c3de6f5d4a10be8ed2a5e608d68f92fcc8",
    );
  });

  it("derives at the documented path: a pinned known answer", () => {
    expect(OPL_DERIVATION_PATH).toBe("m/44'/6174'/0'/0'/0'");
    // BIP-39's all-zero 256-bit entropy (abandon x23, art): the same seed any BIP-39 tool computes.
    const words = `${"abandon ".repeat(23)}art`;
    const secret = mnemonicToSecretKey(words);
    const address = encodeAddress(addressFromPublicKey(publicKeyOf(secret)));
    expect({ secret: toHex(secret), address }).toEqual({
      secret: "40bdf8fa4df26acd96885b99d1ae9d4d8a73850026abe24fc5ca30864dacba1b",
      address: "opl10n5pv3479dkg4ezg65zktdwac8wp3pnk0hjh5n",
    });
  });

  it("tolerates extra spaces and capitals, refuses unknown words and bad checksums with a clear message", () => {
    const words = `${"abandon ".repeat(23)}art`;
    expect(toHex(mnemonicToSecretKey(`  ${words.toUpperCase().replaceAll(" ", "   ")}\n`))).toBe(
      toHex(mnemonicToSecretKey(words)),
    );
    expect(() => mnemonicToSecretKey(`${"abandon ".repeat(23)}artt`)).toThrow(MnemonicError);
    expect(() => mnemonicToSecretKey(`${"abandon ".repeat(23)}artt`)).toThrow(/word 24 "artt" is not in the BIP-39 english wordlist/);
    expect(() => mnemonicToSecretKey(`${"abandon ".repeat(24)}`)).toThrow(/checksum/);
    expect(() => mnemonicToSecretKey("abandon abandon")).toThrow(/2 words/);
  });
});

import { hash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sha256 } from "../../crypto/hash.ts";
import { merkleLeaf, merkleRootOfHashes, merkleRootOfPacked } from "../../crypto/merkle.ts";
import { SMALL_INPUT_MAX, sha256Into, sha256SmallInto } from "../../crypto/sha256-small.ts";

const reference = (data: Uint8Array): Buffer => hash("sha256", data, "buffer");

describe("sha256 of short inputs without node:crypto", () => {
  it("gives node:crypto's digest for every length it takes, written at an offset of a shared buffer", () => {
    for (let length = 0; length <= SMALL_INPUT_MAX; length++) {
      for (let round = 0; round < 4; round++) {
        const data = new Uint8Array(randomBytes(length + 7));
        const out = new Uint8Array(40).fill(0xee);
        sha256SmallInto(data, 3, length, out, 5);
        expect(Buffer.from(out.subarray(5, 37)).equals(reference(data.subarray(3, 3 + length)))).toBe(true);
        expect([...out.subarray(0, 5), ...out.subarray(37)]).toEqual(new Array(8).fill(0xee)); // nothing else written
      }
    }
  });

  it("hashes in place (the input's own bytes as the output)", () => {
    const data = new Uint8Array(randomBytes(65));
    const expected = reference(data);
    sha256SmallInto(data, 0, 65, data, 0);
    expect(Buffer.from(data.subarray(0, 32)).equals(expected)).toBe(true);
  });

  it("sha256Into gives node:crypto's digest at any length, in place and at offsets", () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 183, 184, 247, 300, 511, 512, 1000, 4097, 70_001]) {
      const data = new Uint8Array(randomBytes(length + 9));
      const out = new Uint8Array(45).fill(0xee);
      sha256Into(data, 4, length, out, 7);
      expect(Buffer.from(out.subarray(7, 39)).equals(reference(data.subarray(4, 4 + length)))).toBe(true);
      expect([...out.subarray(0, 7), ...out.subarray(39)]).toEqual(new Array(13).fill(0xee));
    }
    const data = new Uint8Array(randomBytes(400));
    const expected = reference(data);
    sha256Into(data, 0, 400, data, 100); // the digest written over the input's own middle
    expect(Buffer.from(data.subarray(100, 132)).equals(expected)).toBe(true);
    expect(() => sha256Into(data, 0, -1, data, 0)).toThrow(RangeError);
  });

  it("refuses an input longer than it takes", () => {
    const tooLong = () => sha256SmallInto(new Uint8Array(200), 0, SMALL_INPUT_MAX + 1, new Uint8Array(32), 0);
    expect(tooLong).toThrow(RangeError);
  });

  it("sha256 of parts equals node:crypto's over their concatenation, short and long, as separate arrays", () => {
    const cases = [[], [0], [1], [1, 32, 32], [55], [56], [64], [119], [120], [183], [184], [100, 83], [100, 84]];
    for (const sizes of [...cases, [1, 200], [300, 5], [4096]]) {
      const parts = sizes.map((n) => new Uint8Array(randomBytes(n)));
      const digest = sha256(...parts);
      expect(Buffer.from(digest).equals(reference(Buffer.concat(parts)))).toBe(true);
      expect(digest.byteLength).toBe(32);
      const again = sha256(...parts);
      expect(again).not.toBe(digest); // each caller owns its digest
      expect(again).toEqual(digest);
    }
  });

  it("merkle roots equal the RFC 6962 shape hashed by node:crypto, for every count up to 70", () => {
    const naive = (level: Uint8Array[]): Uint8Array => {
      if (level.length === 0) return reference(new Uint8Array(0));
      while (level.length > 1) {
        const next: Uint8Array[] = [];
        for (let i = 0; i < level.length; i += 2) {
          const pair = () => reference(Buffer.concat([Uint8Array.of(1), level[i], level[i + 1]]));
          next.push(i + 1 < level.length ? pair() : level[i]);
        }
        level = next;
      }
      return level[0];
    };
    const leaves: Uint8Array[] = [];
    for (let n = 0; n <= 70; n++) {
      expect(Buffer.from(merkleRootOfHashes(leaves)).equals(Buffer.from(naive(leaves)))).toBe(true);
      leaves.push(new Uint8Array(randomBytes(32)));
    }
    // The same roots over the leaves packed in one array (with bytes to spare after them), which stays as it was.
    const packed = new Uint8Array(randomBytes(70 * 32 + 5));
    const copy = packed.slice();
    const asList = Array.from({ length: 70 }, (_, i) => packed.slice(i * 32, i * 32 + 32));
    for (let n = 0; n <= 70; n++) {
      expect(Buffer.from(merkleRootOfPacked(packed, n)).equals(Buffer.from(naive(asList.slice(0, n))))).toBe(true);
    }
    expect(packed).toEqual(copy);
    expect(() => merkleRootOfPacked(packed, 71)).toThrow(RangeError);
    const item = new Uint8Array(randomBytes(300));
    expect(Buffer.from(merkleLeaf(item)).equals(reference(Buffer.concat([Uint8Array.of(0), item])))).toBe(true);
  });
});

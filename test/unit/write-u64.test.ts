import { describe, expect, it } from "vitest";
import { u64be, writeU64be } from "../../crypto/bytes.ts";

describe("writeU64be", () => {
  it("writes the bytes u64be gives, in place, for safe integers across the 32-bit boundary", () => {
    for (const n of [0, 1, 255, 2 ** 32 - 1, 2 ** 32, 2 ** 33 + 0x0304, Number.MAX_SAFE_INTEGER]) {
      const out = new Uint8Array(10).fill(0xaa);
      writeU64be(out, 1, n);
      expect([...out.subarray(1, 9)]).toEqual([...u64be(n)]);
      expect([out[0], out[9]]).toEqual([0xaa, 0xaa]); // nothing outside its 8 bytes
    }
  });
});

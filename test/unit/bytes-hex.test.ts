import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../crypto/bytes.ts";

describe("toHex", () => {
  it("writes what Buffer's toString('hex') writes, for views at any offset, and round-trips through fromHex", () => {
    for (let n = 0; n < 70; n++) {
      const backing = new Uint8Array(randomBytes(n + 16));
      const views = [backing.subarray(0, n), backing.subarray(5, 5 + n), Buffer.from(backing.subarray(3, 3 + n))];
      for (const view of views) {
        const expected = Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString("hex");
        expect(toHex(view)).toBe(expected);
        expect(fromHex(toHex(view))).toEqual(new Uint8Array(view));
      }
    }
  });
});

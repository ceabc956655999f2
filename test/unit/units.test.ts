import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatOpen, ONE_OPEN, parseOpen } from "../../state/units.ts";

describe("OPEN amounts", () => {
  it("convert exact decimals without floating point", () => {
    expect(parseOpen("2.5")).toBe(2_500_000_000_000_000_000n);
    expect(parseOpen("0.000000000000000001")).toBe(1n);
    expect(parseOpen("1000000000")).toBe(1_000_000_000n * ONE_OPEN);
    expect(parseOpen("0.1") + parseOpen("0.2")).toBe(parseOpen("0.3")); // what floats get wrong
    expect(formatOpen(2_500_000_000_000_000_000n)).toBe("2.5");
    expect(formatOpen(0n)).toBe("0");
  });

  it("refuse anything that is not an exact amount", () => {
    for (const bad of ["", "-1", "1e18", "1.2.3", "abc", "0.0000000000000000001", "1,5"]) {
      expect(() => parseOpen(bad), bad).toThrow();
    }
  });

  it("format and parse are inverses", () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 40n }), (n) => parseOpen(formatOpen(n)) === n));
  });
});

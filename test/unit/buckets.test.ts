import { describe, expect, it } from "vitest";
import { BUCKET } from "../../state/store/buckets.ts";

describe("LevelDB buckets", () => {
  it("every bucket has a byte of its own (two with one byte would read each other's keys)", () => {
    const bytes = Object.values(BUCKET);
    const byByte = new Map<number, string[]>();
    for (const [name, byte] of Object.entries(BUCKET)) byByte.set(byte, [...(byByte.get(byte) ?? []), name]);
    const shared = [...byByte.values()].filter((names) => names.length > 1);
    expect(shared).toEqual([]);
    expect(new Set(bytes).size).toBe(bytes.length);
  });
});

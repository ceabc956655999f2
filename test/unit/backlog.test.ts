import { describe, expect, it } from "vitest";
import { fillsABlock } from "../../node/backlog.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";

/** A mempool "fills a block" when it reaches any one of the bounds a proposal is reaped by. */
describe("fillsABlock", () => {
  const { maxBlockTxs, maxBlockBytes, maxBlockWork } = DEFAULT_PARAMS;
  const empty = { size: 0, totalBytes: 0, totalWork: 0 };

  it("is false below every bound, true at any one of them", () => {
    expect(fillsABlock(empty, DEFAULT_PARAMS)).toBe(false);
    const below = { size: maxBlockTxs - 1, totalBytes: maxBlockBytes - 1, totalWork: maxBlockWork - 1 };
    expect(fillsABlock(below, DEFAULT_PARAMS)).toBe(false);
    expect(fillsABlock({ ...empty, size: maxBlockTxs }, DEFAULT_PARAMS)).toBe(true);
    expect(fillsABlock({ ...empty, totalBytes: maxBlockBytes }, DEFAULT_PARAMS)).toBe(true);
    expect(fillsABlock({ ...empty, totalWork: maxBlockWork }, DEFAULT_PARAMS)).toBe(true);
  });
});

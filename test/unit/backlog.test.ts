import { describe, expect, it } from "vitest";
import { blockFill, FULL_BLOCK_FILL, fillsABlock, underBacklog } from "../../node/backlog.ts";
import { decodeTx } from "../../proto/tx.ts";
import { txWork } from "../../state/work.ts";
import { TestAccount } from "../helpers/accounts.ts";
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

describe("underBacklog", () => {
  const { maxBlockTxs, maxBlockWork } = DEFAULT_PARAMS;
  const fullPool = { size: maxBlockTxs, totalBytes: 0, totalWork: maxBlockWork };

  it("needs the last block full as well as a block's worth pending", () => {
    // Txs that can never be reaped (behind nonce gaps) fill the pool while blocks stay empty: no early start.
    expect(underBacklog(0, fullPool, DEFAULT_PARAMS)).toBe(false);
    expect(underBacklog(FULL_BLOCK_FILL - 0.01, fullPool, DEFAULT_PARAMS)).toBe(false);
    expect(underBacklog(FULL_BLOCK_FILL, fullPool, DEFAULT_PARAMS)).toBe(true);
    expect(underBacklog(1, { size: 1, totalBytes: 1, totalWork: 1 }, DEFAULT_PARAMS)).toBe(false);
  });

  it("measures a block's fill by its tightest bound: transfers reach the work budget first", () => {
    const a = new TestAccount();
    const tx = decodeTx(a.transfer("opl-test-1", new Uint8Array(20), 1n, DEFAULT_PARAMS.minFee).bytes);
    const perBlock = Math.floor(maxBlockWork / txWork(tx));
    const block = Array.from({ length: perBlock }, () => tx);
    expect(blockFill(block, DEFAULT_PARAMS)).toBeGreaterThanOrEqual(FULL_BLOCK_FILL);
    expect(blockFill(block.slice(0, Math.floor(perBlock / 2)), DEFAULT_PARAMS)).toBeLessThan(FULL_BLOCK_FILL);
    expect(blockFill([], DEFAULT_PARAMS)).toBe(0);
  });
});

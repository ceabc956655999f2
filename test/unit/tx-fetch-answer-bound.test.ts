import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { answerTxFetch, txFetchAnswerBound } from "../../node/compact-proposal.ts";
import { answerBytes } from "../../p2p/tx-fetch.ts";
import { type Block, blockTxHashes, encodeBlock, HASH_LENGTH } from "../../proto/block.ts";
import { h32, sampleHeader } from "../helpers/fixtures.ts";

/**
 * The bound a tx fetch server checks its budgets against before building an answer: never below the
 * answer's size (or an answer would be sent past the budgets), exact for the whole block, and undefined
 * exactly where no answer is given whatever the hashes (another height, more hashes than the block has txs).
 */
function blockOf(sizes: number[]): Block {
  const txs = sizes.map((size, i) => {
    const tx = new Uint8Array(Math.max(size, 4));
    new DataView(tx.buffer).setUint32(0, i);
    return tx;
  });
  return { header: sampleHeader(7, 1), txs, lastCommit: undefined, evidence: [] };
}

const ask = (block: Block, indexes: number[], height = 7) => {
  const hashes = blockTxHashes(block);
  const txHashes = new Uint8Array(indexes.length * HASH_LENGTH);
  indexes.forEach((i, k) => txHashes.set(hashes[i], k * HASH_LENGTH));
  return { height, blockHash: h32(1), txHashes };
};

describe("the bound of a tx fetch answer", () => {
  it("is at least the answer's size, whatever txs are asked for (repeats too)", () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 40 }),
      (sizes, picks) => {
        const block = blockOf(sizes);
        const known = { block, bytes: () => encodeBlock(block) };
        const req = ask(block, picks.map((p) => p % sizes.length));
        const answer = answerTxFetch(known, req);
        const bound = txFetchAnswerBound(known, req);
        if (answer === undefined) return; // a repeat past the block's bytes: nothing built, nothing sent
        expect(bound).toBeDefined();
        expect(answerBytes(answer)).toBeLessThanOrEqual(bound as number);
      },
    ));
  });

  it("is the whole block's answer size exactly, and undefined for another height or too many hashes", () => {
    const block = blockOf([10, 300, 70_000]);
    const known = { block, bytes: () => encodeBlock(block) };
    const whole = ask(block, []);
    expect(txFetchAnswerBound(known, whole)).toBe(answerBytes(answerTxFetch(known, whole) as never));
    // All of the block's txs by hash: the bound is the answer's size (its tx bytes and field overheads).
    const all = ask(block, [0, 1, 2]);
    expect(txFetchAnswerBound(known, all)).toBeGreaterThanOrEqual(answerBytes(answerTxFetch(known, all) as never));
    expect(txFetchAnswerBound(known, ask(block, [0], 8))).toBeUndefined();
    expect(txFetchAnswerBound(known, ask(block, [0, 0, 0, 0]))).toBeUndefined();
    expect(txFetchAnswerBound(undefined, whole)).toBeUndefined();
  });
});

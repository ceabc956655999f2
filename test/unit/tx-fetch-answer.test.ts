import { describe, expect, it } from "vitest";
import { sha256 } from "../../crypto/hash.ts";
import { answerTxFetch } from "../../node/compact-proposal.ts";
import { type Block, encodeBlock, HASH_LENGTH } from "../../proto/block.ts";
import { h32, sampleHeader } from "../helpers/fixtures.ts";

/**
 * What a node answers a peer's tx fetch with: only txs of the block asked for (held for the current or next
 * height), never more than that block (its tx count, its tx bytes), or the whole block; nothing otherwise.
 */
const big = new Uint8Array(1000).fill(1);
const small = Uint8Array.of(2);
const block: Block = { header: sampleHeader(7, 1), txs: [big, small], lastCommit: undefined, evidence: [] };
const known = { block, bytes: () => encodeBlock(block) };
const hashes = (...txs: Uint8Array[]) => {
  const out = new Uint8Array(txs.length * HASH_LENGTH);
  txs.forEach((t, i) => out.set(sha256(t), i * HASH_LENGTH));
  return out;
};
const ask = (txHashes: Uint8Array, height = 7) => ({ height, blockHash: h32(1), txHashes });

describe("answering a tx fetch", () => {
  it("gives the txs asked for, in the order asked, or the whole block", () => {
    expect(answerTxFetch(known, ask(hashes(small, big)))).toEqual({ txs: [small, big] });
    expect(answerTxFetch(known, ask(new Uint8Array(0)))).toEqual({ block: encodeBlock(block) });
  });

  it("gives nothing for a block it does not hold, another height, or a tx not in the block", () => {
    expect(answerTxFetch(undefined, ask(hashes(small)))).toBeUndefined();
    expect(answerTxFetch(known, ask(hashes(small), 8))).toBeUndefined();
    expect(answerTxFetch(known, ask(hashes(small, Uint8Array.of(3))))).toBeUndefined();
  });

  it("never more than the block: not more hashes than its txs, not its big tx twice", () => {
    expect(answerTxFetch(known, ask(hashes(small, small, small)))).toBeUndefined();
    expect(answerTxFetch(known, ask(hashes(big, big)))).toBeUndefined();
    expect(answerTxFetch(known, ask(hashes(small, small)))).toEqual({ txs: [small, small] });
  });
});

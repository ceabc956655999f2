import { describe, expect, it } from "vitest";
import { merkleLeaf, merkleRootOfHashes } from "../../crypto/merkle.ts";
import { BlockResults } from "../../node/block-results.ts";
import { encodeTxResult, type TxEvent, type TxResult } from "../../proto/records.ts";
import { decodeTx } from "../../proto/tx.ts";
import { blockEventTerms, txIndexTerms } from "../../state/index-terms.ts";
import {
  BLOCK_EVENTS_POSITION,
  indexKeys,
  MAX_INDEX_ENTRIES_PER_BLOCK_EVENTS,
  MAX_INDEX_ENTRIES_PER_TX,
} from "../../state/store/tx-index.ts";
import { TestAccount } from "../helpers/accounts.ts";

/**
 * What a node keeps of a block's results from execution to commit (node/block-results.ts): each result's bytes
 * and the block's index terms, taken as each tx executes, so the decoded results need not be held.
 */
describe("BlockResults", () => {
  const [alice, bob] = [new TestAccount(), new TestAccount()];
  const txs = [0, 1, 2].map(() => decodeTx(alice.transfer("opl-test-1", bob.address, 5n, 1n).bytes));
  const resultOf = (i: number): TxResult => ({
    code: i === 2 ? 5 : 0,
    log: i === 2 ? "failed" : "",
    events: [
      { type: "transfer", attributes: [{ key: "sender", value: alice.bech32 }, { key: "recipient", value: bob.bech32 }] },
      { type: "create_datanet", attributes: [{ key: "owner", value: bob.bech32 }, { key: "id", value: `${i}` }] },
    ],
  });
  const blockEvents: TxEvent[] = [{ type: "jail", attributes: [{ key: "validator", value: bob.bech32 }] }];
  const expectedKeys = [
    ...txs.flatMap((tx, i) => indexKeys(txIndexTerms(tx, resultOf(i)), 9, i, MAX_INDEX_ENTRIES_PER_TX)),
    ...indexKeys(blockEventTerms(blockEvents), 9, BLOCK_EVENTS_POSITION, MAX_INDEX_ENTRIES_PER_BLOCK_EVENTS),
  ];

  it("gives each result's canonical bytes and, at commit, the index keys of the results as they were", () => {
    const taken = new BlockResults(9, true);
    const results = txs.map((_, i) => resultOf(i));
    txs.forEach((tx, i) => taken.add(tx, results[i]));
    expect(taken.count).toBe(3);
    expect(txs.map((_, i) => taken.bytesAt(i))).toEqual(txs.map((_, i) => encodeTxResult(resultOf(i))));
    // The decoded results are not held: whatever becomes of them afterwards, the keys are those they gave.
    for (const r of results) {
      r.events[1].attributes[1].value = "changed";
      r.events.length = 0;
    }
    const terms = taken.indexTerms(blockEvents);
    expect(terms?.keys()).toEqual(expectedKeys);
    expect(terms?.keys()).toEqual(expectedKeys); // made again, the same
    // Put into a batch: the same keys, in order, whether the batch copies each put (views of one scratch,
    // so the sink keeps copies) or keeps what it is given.
    const value = Uint8Array.of(7);
    for (const copiesOnPut of [true, false]) {
      const put: [Uint8Array, Uint8Array][] = [];
      terms?.putKeys({ put: (k, v) => put.push([copiesOnPut ? k.slice() : k, v]), del: () => {}, copiesOnPut }, value);
      expect(put.map(([k]) => k)).toEqual(expectedKeys);
      expect(put.every(([, v]) => v === value)).toBe(true);
    }
  });

  it("a node keeping no index gets the bytes and no terms", () => {
    const taken = new BlockResults(9, false);
    taken.add(txs[0], resultOf(0));
    expect(taken.bytesAt(0)).toEqual(encodeTxResult(resultOf(0)));
    expect(taken.indexTerms(blockEvents)).toBeUndefined();
  });

  it("keeps every result's bytes, leaf and the results root as separate arrays would, past the room it began with", () => {
    // Results of every size: empty, a transfer's, one with a long non-ASCII log, one larger than all before.
    const varied = (i: number): TxResult => ({
      code: i % 7,
      log: i % 5 === 0 ? "é🙂".repeat(i * 4) : "",
      events: Array.from({ length: i % 4 }, (_, e) => ({
        type: `event-${e}`,
        attributes: [{ key: "k", value: "v".repeat(i * 3) }, { key: "", value: "" }],
      })),
    });
    const count = 150;
    const taken = new BlockResults(9, true, 2); // room for 2 at first: both arrays grow several times
    for (let i = 0; i < count; i++) taken.add(txs[i % 3], varied(i));
    taken.add(txs[0], { code: 0, log: "x".repeat(20_000), events: [] });
    const expected = [...Array.from({ length: count }, (_, i) => varied(i)), { code: 0, log: "x".repeat(20_000), events: [] }]
      .map((r) => encodeTxResult(r));
    expect(taken.count).toBe(count + 1);
    expect(Array.from({ length: count + 1 }, (_, i) => taken.bytesAt(i))).toEqual(expected);
    expect(Array.from({ length: count + 1 }, (_, i) => taken.leafAt(i))).toEqual(expected.map(merkleLeaf));
    expect(taken.root()).toEqual(merkleRootOfHashes(expected.map(merkleLeaf)));
    expect(() => taken.bytesAt(count + 1)).toThrow(RangeError);
    expect(() => taken.leafAt(-1)).toThrow(RangeError);
    // A first result larger than twice the room it began with (the array grows to what it needs at once).
    const big = new BlockResults(9, false, 1);
    big.add(txs[0], { code: 0, log: "y".repeat(2_000), events: [] });
    expect(big.bytesAt(0)).toEqual(encodeTxResult({ code: 0, log: "y".repeat(2_000), events: [] }));
    expect(big.root()).toEqual(merkleLeaf(encodeTxResult({ code: 0, log: "y".repeat(2_000), events: [] })));
    // No results: the empty list's root.
    expect(new BlockResults(9, false, 0).root()).toEqual(merkleRootOfHashes([]));
  });
});

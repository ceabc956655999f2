import { describe, expect, it } from "vitest";
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
    const bytes = txs.map((tx, i) => taken.add(tx, results[i]));
    expect(bytes).toEqual(txs.map((_, i) => encodeTxResult(resultOf(i))));
    // The decoded results are not held: whatever becomes of them afterwards, the keys are those they gave.
    for (const r of results) {
      r.events[1].attributes[1].value = "changed";
      r.events.length = 0;
    }
    const terms = taken.indexTerms(blockEvents);
    expect(terms?.keys()).toEqual(expectedKeys);
    expect(terms?.keys()).toEqual(expectedKeys); // made again, the same
  });

  it("a node keeping no index gets the bytes and no terms", () => {
    const taken = new BlockResults(9, false);
    expect(taken.add(txs[0], resultOf(0))).toEqual(encodeTxResult(resultOf(0)));
    expect(taken.indexTerms(blockEvents)).toBeUndefined();
  });
});

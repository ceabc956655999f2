import { describe, expect, it } from "vitest";
import { encodeAddress } from "../../crypto/address.ts";
import { compareBytes } from "../../crypto/bytes.ts";
import { decodeTx } from "../../proto/tx.ts";
import type { TxEvent, TxResult } from "../../proto/records.ts";
import { blockEventTerms, blockIndexKeys, txIndexTerms } from "../../state/index-terms.ts";
import { BUCKET } from "../../state/store/buckets.ts";
import {
  BLOCK_EVENTS_POSITION,
  type IndexTerm,
  indexKey,
  indexKeys,
  indexPlace,
  indexPrefix,
  MAX_INDEX_ENTRIES_PER_TX,
  MAX_INDEX_TERM_BYTES,
} from "../../state/store/tx-index.ts";
import { TestAccount } from "../helpers/accounts.ts";

/** The search index's keys: one term's keys sort by height then place, so a range scan is in height order. */
describe("search index keys", () => {
  const account = new TestAccount();
  const term: IndexTerm = { kind: "address", value: account.bech32 };

  it("sort by height, then by place in the block, a block's own events after its txs; heights past 2^32", () => {
    const places = [
      { height: 1, position: 0 },
      { height: 1, position: 7 },
      { height: 1, position: BLOCK_EVENTS_POSITION },
      { height: 2, position: 0 },
      { height: 256, position: 1 },
      { height: 2 ** 32 + 5, position: 3 },
    ];
    const keys = places.map((p) => indexKeys([term], p.height, p.position, MAX_INDEX_ENTRIES_PER_TX)[0]);
    const sorted = [...keys].sort(compareBytes);
    expect(sorted).toEqual(keys);
    const prefix = indexPrefix(term);
    expect(keys.map((k) => indexPlace(k, prefix.byteLength))).toEqual(places);
    expect(indexKey(prefix, 2, 0)).toEqual(keys[3]);
  });

  it("a term's keys never fall inside another term's range (its length is in the prefix)", () => {
    const short = indexPrefix({ kind: "type", value: "stake" });
    const long = indexKey(indexPrefix({ kind: "type", value: "stake_more" }), 1, 0);
    expect(compareBytes(long.subarray(0, short.byteLength), short)).not.toBe(0);
  });

  it("an item makes at most MAX_INDEX_ENTRIES_PER_TX keys, each distinct term once; over-long terms none", () => {
    const many: IndexTerm[] = Array.from({ length: 100 }, (_, i) => ({ kind: "event", value: `e\u0000id\u0000${i}` }));
    expect(indexKeys(many, 1, 0, MAX_INDEX_ENTRIES_PER_TX)).toHaveLength(MAX_INDEX_ENTRIES_PER_TX);
    expect(indexKeys([term, term, { kind: "type", value: term.value }], 1, 0, 64)).toHaveLength(2);
    expect(indexKeys([{ kind: "event", value: "x".repeat(MAX_INDEX_TERM_BYTES + 1) }], 1, 0, 64)).toHaveLength(0);
    // Non-ASCII terms are UTF-8: bucket, kind, u16 length, 2 bytes of text, then height 1 and position 0.
    const [key] = indexKeys([{ kind: "event", value: "é" }], 1, 0, 64);
    expect(key.byteLength).toBe(4 + 2 + 3);
  });

  it("an address is keyed by its 20 raw bytes; a height and a position take one byte per significant byte", () => {
    const [key] = indexKeys([term], 300, 0, 64);
    expect(key).toEqual(Uint8Array.from([BUCKET.txIndex, 0x61, ...account.address, 2, 1, 44, 0]));
    expect(indexPlace(key, indexPrefix(term).byteLength)).toEqual({ height: 300, position: 0 });
  });

  it("a transfer makes three keys (type, sender, recipient) of at most 30 bytes each", () => {
    const to = new TestAccount();
    const tx = decodeTx(account.transfer("opl-test-1", to.address, 5n, 1n).bytes);
    const keys = blockIndexKeys(1_000_000, [tx], [transferResult(account, to)], []);
    expect(keys).toHaveLength(3);
    for (const k of keys) expect(k.byteLength).toBeLessThanOrEqual(30);
  });

  it("the keys written at commit are those of the terms a search reads back, block events included", () => {
    const to = new TestAccount();
    const txs = [0, 1, 2].map(() => decodeTx(account.transfer("opl-test-1", to.address, 5n, 1n).bytes));
    const results = txs.map(() => transferResult(account, to));
    // A free-text value that reads like an address, and an address attribute holding no valid address.
    results[1].events.push({
      type: "create_datanet",
      attributes: [
        { key: "name", value: to.bech32 },
        { key: "owner", value: "opl1notanaddress" },
        { key: "id", value: "7" },
      ],
    });
    const blockEvents: TxEvent[] = [
      { type: "jail", attributes: [{ key: "validator", value: to.bech32 }, { key: "until", value: "9" }] },
    ];
    const expected = [
      ...txs.flatMap((tx, i) => indexKeys(txIndexTerms(tx, results[i]), 42, i, MAX_INDEX_ENTRIES_PER_TX)),
      ...indexKeys(blockEventTerms(blockEvents), 42, BLOCK_EVENTS_POSITION, 1024),
    ];
    expect(blockIndexKeys(42, txs, results, blockEvents)).toEqual(expected);
  });
});

function transferResult(from: TestAccount, to: TestAccount): TxResult {
  return {
    code: 0,
    log: "",
    events: [
      {
        type: "fee",
        attributes: [
          { key: "payer", value: from.bech32 },
          { key: "amount", value: "1" },
          { key: "recipient", value: encodeAddress(new Uint8Array(20).fill(9)) },
        ],
      },
      {
        type: "transfer",
        attributes: [
          { key: "sender", value: from.bech32 },
          { key: "recipient", value: to.bech32 },
          { key: "amount", value: "5" },
        ],
      },
    ],
  };
}

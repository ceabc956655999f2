import { describe, expect, it } from "vitest";
import { compareBytes } from "../../crypto/bytes.ts";
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

/** The search index's keys: one term's keys sort by height then place, so a range scan is in height order. */
describe("search index keys", () => {
  const term: IndexTerm = { kind: "address", value: "opl1example" };

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
    // Non-ASCII terms are UTF-8.
    const [key] = indexKeys([{ kind: "event", value: "é" }], 1, 0, 64);
    expect(key.byteLength).toBe(4 + 2 + 12);
  });
});

import { describe, expect, it } from "vitest";
import { historyKey } from "../../state/store/buckets.ts";
import { decodeStaleRecord, STALE_ENTRIES_PER_RECORD, staleRecords } from "../../state/tree/stale-log.ts";
import { toHex } from "../../crypto/bytes.ts";

/**
 * The on-disk bytes of a block's stale log and of a history key, pinned: they are written once per replaced
 * node and per state write (the allocations of a block that creates accounts), and a node that changes how it
 * builds them must still write exactly these bytes, or older data directories would prune and read wrongly.
 */
describe("stale-log and history key bytes", () => {
  it("a stale-log record is kind || u16 BE length || bytes per entry, node keys first", () => {
    const [record, ...rest] = staleRecords(0x0102, {
      nodeKeys: [Uint8Array.of(0xaa, 0xbb), Uint8Array.of(0xcc)],
      stateKeys: [Uint8Array.of(0x01, 0x02, 0x03)],
    });
    expect(rest).toEqual([]);
    expect(toHex(record.key)).toBe("7a" + "0000000000000102" + "00000000");
    expect(toHex(record.value)).toBe("000002aabb" + "000001cc" + "010003010203");
  });

  it("splits into records of STALE_ENTRIES_PER_RECORD entries, chunk numbers counting up", () => {
    const nodeKeys = Array.from({ length: STALE_ENTRIES_PER_RECORD + 3 }, (_, i) => Uint8Array.of(i & 0xff, i >> 8));
    const stateKeys = [new Uint8Array(300).fill(7)];
    const records = staleRecords(2 ** 40 + 5, { nodeKeys, stateKeys });
    expect(records.map((r) => toHex(r.key))).toEqual([
      "7a" + "0000010000000005" + "00000000",
      "7a" + "0000010000000005" + "00000001",
    ]);
    expect(records[0].value.byteLength).toBe(STALE_ENTRIES_PER_RECORD * 5);
    expect(toHex(records[1].value.subarray(0, 5))).toBe("0000020004");
    const decoded = records.map((r) => decodeStaleRecord(r.value));
    expect([...decoded[0].nodeKeys, ...decoded[1].nodeKeys]).toEqual(nodeKeys);
    expect(decoded[1].stateKeys).toEqual(stateKeys);
  });

  it("a block that made nothing stale writes no record", () => {
    expect(staleRecords(9, { nodeKeys: [], stateKeys: [] })).toEqual([]);
  });

  it("a history key is 'h' || u16 BE key length || key || u64 BE height", () => {
    expect(toHex(historyKey(Uint8Array.of(0x61, 0x62, 0x63), 2 ** 33 + 0x0304))).toBe(
      "68" + "0003" + "616263" + "0000000200000304",
    );
    expect(toHex(historyKey(new Uint8Array(0), 0))).toBe("68" + "0000" + "0000000000000000");
  });
});

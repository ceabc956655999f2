import { describe, expect, it } from "vitest";
import { watchLine } from "../../bin/watch-lines.ts";

/** `opl watch`'s human lines: what a person reads, amounts in OPEN. */
describe("opl watch lines", () => {
  it("shows a transfer's amount and fee in OPEN, and whether it succeeded", () => {
    const line = watchLine({
      kind: "tx",
      height: 12,
      index: 3,
      hash: "ab".repeat(32),
      tx: { sender: "opl1alice", fee: "1000000000000000", msg: { type: "transfer", to: "opl1bob", amount: "2500000000000000000" } },
      result: { code: 0, log: "", events: [] },
      cursor: "c",
    });
    expect(line).toBe("tx 12 #3  transfer  from opl1alice  to=opl1bob amount=2.5 OPEN  fee 0.001 OPEN  ok  hash abababababab");
  });

  it("shows an event with its tx, and a block's own event as the block's", () => {
    const ofTx = watchLine({
      kind: "event",
      height: 5,
      txHash: "cd".repeat(32),
      txIndex: 0,
      eventIndex: 1,
      type: "contribute",
      attributes: { id: "7", datanet: "1", stake: "10000000000000000000" },
      cursor: "c",
    });
    expect(ofTx).toBe("event 5  tx cdcdcdcdcdcd #0  contribute  id=7 datanet=1 stake=10 OPEN");
    const ofBlock = watchLine({ kind: "event", height: 6, txHash: null, txIndex: null, type: "jail", attributes: { validator: "opl1v" } });
    expect(ofBlock).toBe("event 6  block  jail  validator=opl1v");
  });

  it("shows a block's summary", () => {
    const line = watchLine({ kind: "block", height: 9, hash: "ef".repeat(32), time: "2026-12-05T06:00:00.000Z", proposer: "opl1p", numTxs: 4 });
    expect(line).toBe("block 9  2026-12-05T06:00:00.000Z  4 txs  proposer opl1p  hash efefefefefef");
  });
});

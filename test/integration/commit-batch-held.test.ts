import { afterEach, describe, expect, it } from "vitest";
import { sha256 } from "../../crypto/hash.ts";
import { blockHash, encodeBlock, txsRoot } from "../../proto/block.ts";
import { encodeTxResult } from "../../proto/records.ts";
import { type CommittedBlock, ChainDb } from "../../state/store/chain-db.ts";
import { collectGarbage } from "../helpers/gc.ts";
import { smallBlock } from "../helpers/max-block.ts";
import { tempDir } from "../helpers/tmp.ts";

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const TXS = 64;

/** A committed block of TXS txs, as ChainApp gives it to commitBlock. */
function committed(): CommittedBlock {
  const txs = Array.from({ length: TXS }, (_, i) => new Uint8Array(150).fill(i + 1));
  const hashes = txs.map((tx) => sha256(tx));
  const base = smallBlock({ height: 1, lastBlockHash: new Uint8Array(0) });
  const block = { ...base, txs, header: { ...base.header, txsRoot: txsRoot(hashes) } };
  const hash = blockHash(block.header);
  return {
    height: 1,
    block,
    blockBytes: encodeBlock(block),
    meta: { hash, commit: { height: 1, round: 0, blockHash: hash, signatures: [] }, numTxs: TXS },
    txs: txs.map((tx, i) => ({ hash: hashes[i], bytes: tx, resultBytes: encodeTxResult({ code: 0, log: "", events: [] }) })),
    writes: [{ key: Uint8Array.of(7), value: Uint8Array.of(7) }],
  };
}

describe("ChainDb.commitBlock", () => {
  it("holds nothing of the block it was given while its batch is written, and writes it all", async () => {
    // Its ops (each tx's record, the index keys) are copied into LevelDB's native batch as they are put; an
    // async frame held them, and the block, until the write was done: on a loaded node long enough for all of
    // it to be promoted to the old generation.
    const t = tempDir("opl-commit-held-");
    cleanups.push(t.cleanup);
    const db = await ChainDb.open(t.dir);
    cleanups.push(() => db.close());
    await db.writeGenesis("opl-held-1/genesis", [{ key: Uint8Array.of(1), value: Uint8Array.of(1) }]);
    const given: WeakRef<object>[] = [];
    const box: CommittedBlock[] = [];
    (() => {
      const c = committed();
      given.push(new WeakRef(c), new WeakRef(c.txs), ...c.txs.map((tx) => new WeakRef(tx)));
      box.push(c);
    })();
    // A WeakRef keeps its target until the end of the job that made (or read) it: collect in a later one.
    await new Promise((resolve) => setImmediate(resolve));
    // Given from a function of its own: this test's frame must not hold the block either.
    const write = (() => db.commitBlock(box.pop() as CommittedBlock))();
    collectGarbage();
    const held = given.filter((r) => r.deref() !== undefined).length;
    await write;
    expect(held).toBe(0);
    expect((await db.getBlock(1))?.txs).toHaveLength(TXS);
    expect(await db.latestHeight()).toBe(1);
  });
});

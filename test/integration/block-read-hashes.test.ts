import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it, vi } from "vitest";

// Counts sha256 calls (each ~2.6 us through node:crypto, mostly per-call overhead) behind a block read.
const calls = vi.hoisted(() => ({ sha256: 0 }));
vi.mock("../../crypto/hash.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../crypto/hash.ts")>();
  return {
    ...real,
    sha256: (...parts: Uint8Array[]) => {
      calls.sha256++;
      return real.sha256(...parts);
    },
  };
});

const { sha256 } = await import("../../crypto/hash.ts");
const { blockHash, blockTxHashes, encodeBlock, txsRoot } = await import("../../proto/block.ts");
const { encodeTxResult } = await import("../../proto/records.ts");
const { ChainDb } = await import("../../state/store/chain-db.ts");
const { smallBlock } = await import("../helpers/max-block.ts");
const { tempDir } = await import("../helpers/tmp.ts");

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

const TXS = 64;

describe("reading a committed block (chain_getBlock)", () => {
  it("takes its tx hashes from what commit stored, not from hashing every tx again, and serves the right ones", async () => {
    const t = tempDir("opl-block-read-");
    cleanups.push(t.cleanup);
    const txs = Array.from({ length: TXS }, (_, i) => new Uint8Array(150).fill(i + 1));
    const hashes = txs.map((tx) => sha256(tx));
    const base = smallBlock({ height: 1, lastBlockHash: new Uint8Array(0) });
    const block = { ...base, txs, header: { ...base.header, txsRoot: txsRoot(hashes) } };
    const hash = blockHash(block.header);
    const db = await ChainDb.open(t.dir);
    cleanups.push(() => void db.close());
    await db.writeGenesis("opl-read-1/genesis", [{ key: Uint8Array.of(1), value: Uint8Array.of(1) }]);
    await db.commitBlock({
      height: 1,
      block,
      blockBytes: encodeBlock(block),
      meta: { hash, commit: { height: 1, round: 0, blockHash: hash, signatures: [] }, numTxs: TXS },
      txs: txs.map((tx, i) => ({ hash: hashes[i], bytes: tx, resultBytes: encodeTxResult({ code: 0, log: "", events: [] }) })),
      writes: [],
    });

    const before = calls.sha256;
    const read = await db.getBlock(1);
    const used = calls.sha256 - before;
    expect(read?.txs).toEqual(txs);
    const served = blockTxHashes(read as NonNullable<typeof read>);
    expect(served).toEqual(hashes);
    // Its header, its digests and its roots: a handful of hashes, not one per tx.
    expect(used).toBeLessThan(TXS / 4);
  });

  it("keeps no hash list of a block read long ago: a follower's reads do not pile up in memory", async () => {
    const t = tempDir("opl-block-read-");
    cleanups.push(t.cleanup);
    const db = await ChainDb.open(t.dir);
    cleanups.push(() => void db.close());
    await db.writeGenesis("opl-read-1/genesis", [{ key: Uint8Array.of(1), value: Uint8Array.of(1) }]);
    const HEIGHTS = 20;
    let last: Uint8Array = new Uint8Array(0);
    for (let height = 1; height <= HEIGHTS; height++) {
      const txs = Array.from({ length: TXS }, (_, i) => new Uint8Array(150).fill((height * 7 + i) % 251));
      const hashes = txs.map((tx) => sha256(tx));
      const base = smallBlock({ height, lastBlockHash: last });
      const block = { ...base, txs, header: { ...base.header, txsRoot: txsRoot(hashes) } };
      const hash = blockHash(block.header);
      await db.commitBlock({
        height,
        block,
        blockBytes: encodeBlock(block),
        meta: { hash, commit: { height, round: 0, blockHash: hash, signatures: [] }, numTxs: TXS },
        txs: txs.map((tx, i) => ({ hash: hashes[i], bytes: tx, resultBytes: encodeTxResult({ code: 0, log: "", events: [] }) })),
        writes: [],
      });
      last = hash;
    }
    // A follower reads each block as it is committed; what it read, it drops.
    const lists: WeakRef<Uint8Array[]>[] = [];
    const firstHashes: WeakRef<Uint8Array>[] = [];
    for (let height = 1; height <= HEIGHTS; height++) {
      const read = await db.getBlock(height);
      const hashes = blockTxHashes(read as NonNullable<typeof read>);
      lists.push(new WeakRef(hashes));
      firstHashes.push(new WeakRef(hashes[0]));
    }
    await new Promise((resolve) => setImmediate(resolve)); // WeakRefs hold their targets until the job ends
    setFlagsFromString("--expose-gc");
    (runInNewContext("gc") as () => void)();
    // The store keeps its last two blocks read whole (RECENT_BLOCKS); besides them, the lists of 16 heights
    // and the hashes of 8 (the decoded tx checks' views) were kept.
    expect(lists.filter((l) => l.deref() !== undefined).length).toBeLessThanOrEqual(2);
    expect(firstHashes.filter((h) => h.deref() !== undefined).length).toBeLessThanOrEqual(2);
  });
});

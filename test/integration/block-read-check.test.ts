import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { equalBytes } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { blockHash, encodeBlock, txsRoot } from "../../proto/block.ts";
import { encodeTxRecord, encodeTxResult } from "../../proto/records.ts";
import { BUCKET, bucketKey } from "../../state/store/buckets.ts";
import { BlockStoreCorruptError, ChainDb } from "../../state/store/chain-db.ts";
import { smallBlock } from "../helpers/max-block.ts";
import { tempDir } from "../helpers/tmp.ts";

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

/**
 * Serving a block's raw bytes and checking a tx's place use the digest and tx hashes stored with the block at
 * commit, never a decode of the whole block: the stored bytes here are NOT a decodable block (what the
 * committing node wrote is what is served; the receiving peer decodes and verifies), and they are still served
 * while they match their digest, and refused once a byte of them changes.
 */
describe("block reads check a stored digest instead of decoding the block", () => {
  it("raw bytes and tx places are served from the digest and tx hash list; a changed byte is refused", async () => {
    const t = tempDir("opl-readcheck-");
    cleanup = t.cleanup;
    const db = await ChainDb.open(join(t.dir, "db"));
    await db.writeGenesis("x/genesis", []);
    const block = smallBlock({ height: 1, lastBlockHash: new Uint8Array(0) });
    const hash = blockHash(block.header);
    const raw = Uint8Array.from(encodeBlock(block).subarray(3)); // not a block: would fail any decode
    const txs = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5, 6)];
    await db.commitBlock({
      height: 1,
      block,
      blockBytes: raw,
      meta: { hash, commit: { height: 1, round: 0, blockHash: hash, signatures: [] }, numTxs: txs.length },
      txs: txs.map((tx) => ({ hash: sha256(tx), bytes: tx, resultBytes: encodeTxResult({ code: 0, log: "", events: [] }) })),
      writes: [],
    });
    expect(await db.blockSize(1)).toBe(raw.byteLength);
    expect(equalBytes((await db.getBlockBytes(1)) as Uint8Array, raw)).toBe(true);
    expect((await db.getTx(sha256(txs[1])))?.index).toBe(1);
    await db.close();

    // The same block with one byte changed on disk (written behind ChainDb's back) is refused.
    const { Level } = await import("level");
    const level = new Level<Uint8Array, Uint8Array>(join(t.dir, "db"), { keyEncoding: "view", valueEncoding: "view" });
    const key = Uint8Array.of(0x62, 0, 0, 0, 0, 0, 0, 0, 1);
    const changed = Uint8Array.from(raw);
    changed[changed.length - 1] ^= 1;
    await level.put(key, changed);
    await level.close();
    const again = await ChainDb.open(join(t.dir, "db"));
    try {
      await expect(again.getBlockBytes(1)).rejects.toThrow(BlockStoreCorruptError);
      await expect(again.getBlockBytes(1)).rejects.toThrow(/digest/);
    } finally {
      await again.close();
    }
  });

  it("a tx result changed on disk (code 0 to 1) is refused against the results committed with the block", async () => {
    const t = tempDir("opl-readcheck-");
    cleanup = t.cleanup;
    const path = join(t.dir, "db");
    const db = await ChainDb.open(path);
    await db.writeGenesis("x/genesis", []);
    const block = smallBlock({ height: 1, lastBlockHash: new Uint8Array(0) });
    const hash = blockHash(block.header);
    const tx = block.txs[0];
    const ok = encodeTxResult({ code: 0, log: "", events: [] });
    await db.commitBlock({
      height: 1,
      block,
      blockBytes: encodeBlock(block),
      meta: { hash, commit: { height: 1, round: 0, blockHash: hash, signatures: [] }, numTxs: block.txs.length },
      txs: block.txs.map((b) => ({ hash: sha256(b), bytes: b, resultBytes: ok })),
      writes: [],
    });
    expect((await db.getTx(sha256(tx)))?.result.code).toBe(0);
    await db.close();
    const { Level } = await import("level");
    const raw = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: "view", valueEncoding: "view" });
    const failed = encodeTxResult({ code: 1, log: "", events: [] });
    await raw.put(bucketKey(BUCKET.tx, sha256(tx)), encodeTxRecord({ height: 1, index: 0, tx, resultBytes: failed }));
    await raw.close();
    const again = await ChainDb.open(path);
    try {
      await expect(again.getTx(sha256(tx))).rejects.toThrow(BlockStoreCorruptError);
      await expect(again.getTx(sha256(tx))).rejects.toThrow(/result/);
    } finally {
      await again.close();
    }
  });

  it("a block stored before tx checks were (no tx check record): a tx's place is checked against the block's own txs", async () => {
    const t = tempDir("opl-readcheck-");
    cleanup = t.cleanup;
    const path = join(t.dir, "db");
    const db = await ChainDb.open(path);
    await db.writeGenesis("x/genesis", []);
    const txs = [Uint8Array.of(7, 7), Uint8Array.of(8, 8), Uint8Array.of(9, 9)];
    const root = txsRoot(txs.map((b) => sha256(b)));
    const block = { ...smallBlock({ height: 1, lastBlockHash: new Uint8Array(0), txsRoot: root }), txs };
    const hash = blockHash(block.header);
    const ok = encodeTxResult({ code: 0, log: "", events: [] });
    await db.commitBlock({
      height: 1,
      block,
      blockBytes: encodeBlock(block),
      meta: { hash, commit: { height: 1, round: 0, blockHash: hash, signatures: [] }, numTxs: txs.length },
      txs: txs.map((b) => ({ hash: sha256(b), bytes: b, resultBytes: ok })),
      writes: [],
    });
    await db.close();
    const { Level } = await import("level");
    const raw = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: "view", valueEncoding: "view" });
    await raw.del(Uint8Array.of(BUCKET.txCheck, 0, 0, 0, 0, 0, 0, 0, 1)); // as an older node stored it
    // tx 2's record claims place 1 (where tx 1 is): refused; the others are served at their places
    const misplaced = encodeTxRecord({ height: 1, index: 1, tx: txs[2], resultBytes: ok });
    await raw.put(bucketKey(BUCKET.tx, sha256(txs[2])), misplaced);
    await raw.close();
    const again = await ChainDb.open(path);
    try {
      expect((await again.getTx(sha256(txs[0])))?.index).toBe(0);
      expect((await again.getTx(sha256(txs[1])))?.index).toBe(1);
      await expect(again.getTx(sha256(txs[2]))).rejects.toThrow(/it is not tx 1 of block 1/);
    } finally {
      await again.close();
    }
  });
});

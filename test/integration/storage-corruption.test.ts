import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { equalBytes, u64be } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { type Block, blockHash, encodeBlock, txsRoot } from "../../proto/block.ts";
import { BlockStoreCorruptError, ChainDb } from "../../state/store/chain-db.ts";
import { smallBlock } from "../helpers/max-block.ts";
import { commitTestBlock } from "../helpers/commit-block.ts";
import { tempDir } from "../helpers/tmp.ts";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function dir(): string {
  const t = tempDir("opl-corrupt-");
  cleanups.push(t.cleanup);
  return t.dir;
}

const HEIGHTS = 30;
const TXS_PER_BLOCK = 8;

/** Incompressible bytes (LevelDB compresses its tables): a hash chain from a seed. */
function noise(seed: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let h = sha256(new TextEncoder().encode(seed));
  for (let i = 0; i < length; i += 32) {
    out.set(h.subarray(0, Math.min(32, length - i)), i);
    h = sha256(h);
  }
  return out;
}

function blockAt(height: number, parent: Uint8Array): Block {
  const block = smallBlock({ height, lastBlockHash: parent });
  const txs = Array.from({ length: TXS_PER_BLOCK }, (_, i) => noise(`tx ${height}/${i}`, 200 + i));
  return { ...block, txs, header: { ...block.header, txsRoot: txsRoot(txs.map((t) => sha256(t))) } };
}

/** A chain database with HEIGHTS blocks written by ChainDb itself; returns what it holds. */
async function writeChain(path: string): Promise<Block[]> {
  const db = await ChainDb.open(path);
  await db.writeGenesis("opl-corrupt-1/genesis", [{ key: Uint8Array.of(1), value: noise("genesis", 100) }]);
  const blocks: Block[] = [];
  let parent: Uint8Array = new Uint8Array(0);
  for (let height = 1; height <= HEIGHTS; height++) {
    const block = blockAt(height, parent);
    const hash = await commitTestBlock(db, block, [{ key: Uint8Array.of(2, height % 5), value: noise(`state ${height}`, 64) }]);
    blocks.push(block);
    parent = hash;
  }
  await db.close();
  return blocks;
}

/**
 * right: what was written; refused: a BlockStoreCorruptError; wrong: other data; unclear: another error;
 * missed: an index lookup (tx by hash, block by hash) found nothing. A flipped byte in an index entry's key
 * makes LevelDB miss it, which the node cannot tell from a key never written (LevelDB's block checksums,
 * which would, are not exposed by classic-level): the tx and the block are still served, by height.
 */
type Outcome = "right" | "refused" | "wrong" | "unclear" | "missed";
const outcome = (ok: boolean): Outcome => (ok ? "right" : "wrong");

/** Reads every block and tx back: each must be what was written, or a refusal; never something else. */
async function readBack(path: string, blocks: Block[]): Promise<Outcome[]> {
  let db: ChainDb;
  try {
    db = await ChainDb.open(path);
  } catch {
    return ["refused"]; // LevelDB refused to open: not a wrong answer
  }
  const outcomes: Outcome[] = [];
  const judge = async (read: () => Promise<Outcome>) => {
    try {
      outcomes.push(await read());
    } catch (err) {
      outcomes.push(err instanceof BlockStoreCorruptError ? "refused" : "unclear");
    }
  };
  try {
    for (const block of blocks) {
      const h = block.header.height;
      const hash = blockHash(block.header);
      await judge(async () => {
        const got = await db.getBlock(h);
        return outcome(got !== undefined && equalBytes(encodeBlock(got), encodeBlock(block)));
      });
      await judge(async () => {
        const bytes = await db.getBlockBytes(h);
        return outcome(bytes !== undefined && equalBytes(bytes, encodeBlock(block)));
      });
      await judge(async () => {
        const meta = await db.getBlockMeta(h);
        return outcome(meta !== undefined && equalBytes(meta.hash, hash) && equalBytes(meta.commit.blockHash, hash));
      });
      await judge(async () => {
        const at = await db.heightOfBlock(hash);
        return at === undefined ? "missed" : outcome(at === h);
      });
      for (const tx of block.txs) {
        await judge(async () => {
          const record = await db.getTx(sha256(tx));
          if (record === undefined) return "missed";
          return outcome(equalBytes(record.tx, tx) && record.height === h && record.index === block.txs.indexOf(tx));
        });
      }
    }
  } finally {
    await db.close();
  }
  return outcomes;
}

function flipAt(file: string, at: number): void {
  const bytes = readFileSync(file);
  bytes[at] ^= 0x01;
  writeFileSync(file, bytes);
}

describe("the block store never serves a wrong block (real LevelDB, bytes flipped on disk)", () => {
  it("a flipped byte anywhere in a table (.ldb) file gives the right data or a BlockStoreCorruptError", async () => {
    const original = join(dir(), "db");
    const blocks = await writeChain(original);
    // Re-opening moves the log into a table file.
    await (await ChainDb.open(original)).close();
    const table = readdirSync(original).find((f) => f.endsWith(".ldb")) as string;
    expect(table).toBeDefined();
    const size = readFileSync(join(original, table)).byteLength;
    const tally: Record<Outcome, number> = { right: 0, refused: 0, wrong: 0, unclear: 0, missed: 0 };
    const wrongAt: number[] = [];
    const STEP = Math.floor(size / 40);
    for (let at = 7; at < size; at += STEP) {
      const copy = join(dir(), "db");
      cpSync(original, copy, { recursive: true });
      flipAt(join(copy, table), at);
      const outcomes = await readBack(copy, blocks);
      for (const o of outcomes) tally[o]++;
      if (outcomes.includes("wrong") || outcomes.includes("unclear")) wrongAt.push(at);
    }
    expect(wrongAt, `flips at these offsets of ${size} served wrong data or an unclear error: ${JSON.stringify(tally)}`).toEqual([]);
    expect(tally.refused).toBeGreaterThan(0); // the flips did hit data
    expect(tally.missed).toBeLessThan(tally.refused);
  });

  it("a block missing below the latest height is an error, not 'no such block'", async () => {
    const path = join(dir(), "db");
    await writeChain(path);
    const { Level } = await import("level");
    const raw = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: "view", valueEncoding: "view" });
    await raw.del(Uint8Array.from([0x62, ...u64be(7)]));
    await raw.close();
    const db = await ChainDb.open(path);
    try {
      await expect(db.getBlock(7)).rejects.toThrow(/block 7/);
      await expect(db.getBlock(HEIGHTS + 1)).resolves.toBeUndefined(); // not written yet: nothing wrong
    } finally {
      await db.close();
    }
  });
});

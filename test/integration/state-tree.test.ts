import { Level } from "level";
import { afterEach, describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../crypto/bytes.ts";
import { SparseMerkleTree, treePath, valueHash } from "../../state/smt.ts";
import { BUCKET } from "../../state/store/buckets.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { LatestState } from "../../state/store/latest-state.ts";
import { chainProver } from "../../state/tree/chain-prover.ts";
import { PrunedHeightError } from "../../state/tree/errors.ts";
import { NodeReader } from "../../state/tree/node-reader.ts";
import { StatePruner } from "../../state/tree/pruner.ts";
import { VersionedTree } from "../../state/tree/versioned-tree.ts";
import type { StateWrite } from "../../state/view.ts";
import { proofHolds } from "../helpers/proof-check.ts";
import { tempDir } from "../helpers/tmp.ts";
import { smallBlock } from "../helpers/max-block.ts";

/**
 * The state tree in a real LevelDB, driven as chain-app drives it (treeWith, the block's one batch with the
 * tree's ops, apply), without consensus: roots, proofs at past heights, restart, crashes and pruning.
 */

const META = {
  hash: new Uint8Array(32),
  commit: { height: 0, round: 0, blockHash: new Uint8Array(32), signatures: [] },
  numTxs: 0,
};
/** A block's fields other than its height and state (the store does not decode them here). */
const EMPTY_BLOCK = { block: smallBlock(), blockBytes: new Uint8Array(0), meta: META, txs: [] };
const KEYS = Array.from({ length: 12 }, (_, i) => utf8(`acct/${i}`));

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function openDb(dir: string): Promise<ChainDb> {
  const db = await ChainDb.open(dir);
  cleanups.push(() => db.close());
  return db;
}

/** A fresh database with genesis (KEYS[0..3]) written as openChain writes it, and its loaded state. */
async function genesisDb() {
  const tmp = tempDir("opl-tree-");
  cleanups.push(tmp.cleanup);
  const db = await ChainDb.open(tmp.dir);
  const writes: StateWrite[] = KEYS.slice(0, 4).map((key, i) => ({ key, value: utf8(`genesis ${i}`) }));
  const updates = writes.map((w) => ({ path: treePath(w.key), valueHash: valueHash(w.value as Uint8Array) }));
  const ops = new VersionedTree(new NodeReader(db.treeStore()), -1, null).candidate(updates, [], 0).ops();
  await db.writeGenesis("x/genesis", writes, ops);
  const model = new Map(writes.map((w) => [toHex(w.key), w.value as Uint8Array]));
  return { dir: tmp.dir, db, state: await LatestState.load(db), model };
}

/** Commits the next height as chain-app does: the tree's ops in the block's batch, then apply. */
async function commit(db: ChainDb, state: LatestState, writes: StateWrite[]): Promise<void> {
  const candidate = state.treeWith(writes);
  const height = state.version + 1;
  await db.commitBlock({ ...EMPTY_BLOCK, height, writes, tree: candidate });
  state.apply(writes, candidate);
}

/** Height h's writes: rewrites two keys, adds one, deletes one (every so often), all deterministic. */
function writesAt(h: number): StateWrite[] {
  const writes: StateWrite[] = [
    { key: KEYS[h % KEYS.length], value: utf8(`v${h}`) },
    { key: KEYS[(h * 5) % KEYS.length], value: utf8(`w${h}`) },
  ];
  if (h % 3 === 0) writes.push({ key: KEYS[(h * 7 + 1) % KEYS.length], value: undefined });
  return writes.filter((w, i) => writes.findIndex((o) => toHex(o.key) === toHex(w.key)) === i);
}

/** Every key of the model reads its value from the loaded state, and every other key reads absent. */
function expectValues(state: LatestState, model: Map<string, Uint8Array>): void {
  for (const key of KEYS) expect(state.get(key)).toEqual(model.get(toHex(key)));
}

function referenceRoot(model: Map<string, Uint8Array>): Uint8Array {
  return SparseMerkleTree.fromEntries(
    [...model].map(([k, v]) => ({ path: treePath(Buffer.from(k, "hex")), valueHash: valueHash(v) })),
  ).rootHash;
}

function step(model: Map<string, Uint8Array>, writes: StateWrite[]): Map<string, Uint8Array> {
  const next = new Map(model);
  for (const w of writes) {
    if (w.value === undefined) next.delete(toHex(w.key));
    else next.set(toHex(w.key), w.value);
  }
  return next;
}

async function countKeys(dir: string, bucket: number): Promise<number> {
  const level = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
  await level.open();
  const keys = await level.keys({ gte: Uint8Array.of(bucket), lt: Uint8Array.of(bucket + 1) }).all();
  await level.close();
  return keys.length;
}

const hexOf = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : toHex(bytes));

/** Keys stored in a bucket, read through the open database. */
async function stored(db: ChainDb, bucket: number): Promise<number> {
  return (await db.rawEntries(Uint8Array.of(bucket), Uint8Array.of(bucket + 1), Number.MAX_SAFE_INTEGER)).length;
}

describe("the state tree on disk", () => {
  it("reads synchronously from LevelDB (classic-level's getSync), which the tree's execution-time reads need", async () => {
    const { db } = await genesisDb();
    cleanups.push(() => db.close());
    const store = db.treeStore();
    expect(store.get(Uint8Array.of(BUCKET.treeRoot, 0, 0, 0, 0, 0, 0, 0, 0))).toBeInstanceOf(Uint8Array);
    expect(store.get(Uint8Array.of(BUCKET.treeRoot, 9))).toBeUndefined();
  });

  it("proves every key's value or absence at past heights, after updates and deletes, against that height's root", async () => {
    const { db, state, model: genesisModel } = await genesisDb();
    cleanups.push(() => db.close());
    const models = [genesisModel];
    for (let h = 1; h <= 30; h++) {
      const writes = writesAt(h);
      await commit(db, state, writes);
      models.push(step(models[h - 1], writes));
      expect(toHex(state.rootHash)).toBe(toHex(referenceRoot(models[h])));
    }
    const prover = chainProver(db, state);
    for (const height of [0, 1, 3, 9, 17, 29, 30]) {
      for (const key of KEYS) {
        const expected = models[height].get(toHex(key));
        const { value, proof, root } = await prover.proveAt(height, key);
        expect(toHex(root)).toBe(toHex(referenceRoot(models[height])));
        expect(hexOf(value)).toBe(hexOf(expected));
        expect(proofHolds(root, key, value, proof)).toBe(true);
        // The same proof does not pass for another value, nor for the other claim (present / absent).
        expect(proofHolds(root, key, utf8("forged"), proof)).toBe(false);
        if (value !== undefined) expect(proofHolds(root, key, undefined, proof)).toBe(false);
      }
    }
    await expect(prover.proveAt(31, KEYS[0])).rejects.toThrow(/above the latest committed height 30/);
  });

  it("proofs at past heights read through a cache of their own, leaving the hot-node cache to execution", async () => {
    const { dir, db, state } = await genesisDb();
    for (let h = 1; h <= 10; h++) await commit(db, state, writesAt(h));
    await db.close();
    const reopened = await openDb(dir);
    const loaded = await LatestState.load(reopened); // a restarted node: nothing cached yet
    const hot = loaded.treeReader.cache;
    const prover = chainProver(reopened, loaded);
    for (const height of [1, 2, 3, 4, 5]) for (const key of KEYS) await prover.proveAt(height, key);
    expect(hot.size).toBe(0);
    for (const key of KEYS) await prover.proveAt(10, key); // the latest height reads the hot cache, as execution does
    expect(hot.size).toBeGreaterThan(0);
  });

  it("a proof at a past height reads from disk only nodes the hot cache does not hold, and adds nothing to it", async () => {
    const { dir, db, state } = await genesisDb();
    for (let h = 1; h <= 10; h++) await commit(db, state, writesAt(h));
    await db.close();
    const reopened = await openDb(dir); // a restarted node: nothing cached yet
    // Every tree-node record the prover reads from LevelDB, by key.
    const diskReads: string[] = [];
    const treeStore = reopened.treeStore.bind(reopened);
    reopened.treeStore = () => {
      const store = treeStore();
      return {
        get: (key) => {
          if (key[0] === BUCKET.treeNode) diskReads.push(toHex(key.subarray(1)));
          return store.get(key);
        },
      };
    };
    const loaded = await LatestState.load(reopened);
    const prover = chainProver(reopened, loaded);
    for (const key of KEYS) await prover.proveAt(10, key); // into the hot cache, as execution reads them
    const latestNodes = new Set(diskReads.splice(0));
    const hot = loaded.treeReader.cache;
    const held = { size: hot.size, bytes: hot.bytes };
    for (const key of KEYS) await prover.proveAt(9, key);
    // Height 9's tree shares with height 10 every subtree block 10 did not write: those come from the hot
    // cache; only the nodes block 10 replaced are read from disk, once each (then from the past-proof cache).
    expect(diskReads.length).toBeGreaterThan(0);
    expect(diskReads.length).toBeLessThan(latestNodes.size);
    expect(new Set(diskReads).size).toBe(diskReads.length);
    expect(diskReads.filter((key) => latestNodes.has(key))).toEqual([]);
    expect({ size: hot.size, bytes: hot.bytes }).toEqual(held);
  });

  it("a damaged node of a past height's tree is refused by a proof at that height", async () => {
    const { dir, db, state } = await genesisDb();
    for (let h = 1; h <= 3; h++) await commit(db, state, writesAt(h));
    await db.close();
    // Height 2's top node (block 3 replaced it: only past-height proofs read it).
    const level = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
    await level.open();
    let flipped = 0;
    const nodes = { gte: Uint8Array.of(BUCKET.treeNode), lt: Uint8Array.of(BUCKET.treeNode + 1) };
    for await (const [key, value] of level.iterator(nodes)) {
      const version = Number(new DataView(key.buffer, key.byteOffset + 1, 8).getBigUint64(0));
      if (version !== 2 || key[9] !== 0) continue;
      const damaged = value.slice();
      damaged[20] ^= 0x01;
      await level.put(key, damaged);
      flipped++;
    }
    await level.close();
    expect(flipped).toBe(1);
    const reopened = await openDb(dir);
    const prover = chainProver(reopened, await LatestState.load(reopened));
    await expect(prover.proveAt(2, KEYS[0])).rejects.toThrow(
      /tree node of height 2 at depth 0 does not hash to what its parent/,
    );
    await prover.proveAt(3, KEYS[0]); // the latest tree is whole
  });

  it("starts from the latest height's root on disk: nothing is rebuilt or rewritten, and blocks go on from it", async () => {
    const { dir, db, state, model } = await genesisDb();
    let m = model;
    for (let h = 1; h <= 10; h++) {
      await commit(db, state, writesAt(h));
      m = step(m, writesAt(h));
    }
    await db.close();
    const nodesBefore = await countKeys(dir, BUCKET.treeNode);
    const reopened = await openDb(dir);
    const loaded = await LatestState.load(reopened);
    expect(loaded.version).toBe(10);
    expect(toHex(loaded.rootHash)).toBe(toHex(referenceRoot(m)));
    expectValues(loaded, m);
    await commit(reopened, loaded, writesAt(11));
    expect(toHex(loaded.rootHash)).toBe(toHex(referenceRoot(step(m, writesAt(11)))));
    await reopened.close();
    cleanups.pop();
    expect(await countKeys(dir, BUCKET.treeNode)).toBeGreaterThan(nodesBefore);
  });

  it("builds the tree once for a database from before it was stored (values, no tree records)", async () => {
    const tmp = tempDir("opl-tree-old-");
    cleanups.push(tmp.cleanup);
    const db = await openDb(tmp.dir);
    const writes: StateWrite[] = KEYS.map((key, i) => ({ key, value: utf8(`old ${i}`) }));
    await db.writeGenesis("x/genesis", writes); // as the previous version wrote it: no tree ops
    const state = await LatestState.load(db);
    expect(toHex(state.rootHash)).toBe(toHex(referenceRoot(step(new Map(), writes))));
    expect(state.treeReader.rootAt(0)).not.toBeUndefined();
  });

  it("a damaged tree node on disk is refused when read, not taken for another tree", async () => {
    const { dir, db, state } = await genesisDb();
    for (let h = 1; h <= 3; h++) await commit(db, state, writesAt(h));
    await db.close();
    // Flip a byte inside a child's hash (or leaf path) of height 3's top node: every key's path crosses it.
    const level = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
    await level.open();
    let flipped = 0;
    const nodes = { gte: Uint8Array.of(BUCKET.treeNode), lt: Uint8Array.of(BUCKET.treeNode + 1) };
    for await (const [key, value] of level.iterator(nodes)) {
      const version = Number(new DataView(key.buffer, key.byteOffset + 1, 8).getBigUint64(0));
      if (version !== 3 || key[9] !== 0) continue; // height 3, depth 0
      const damaged = value.slice();
      damaged[20] ^= 0x01;
      await level.put(key, damaged);
      flipped++;
    }
    await level.close();
    expect(flipped).toBe(1);
    const loaded = await LatestState.load(await openDb(dir));
    expect(() => loaded.get(KEYS[0])).toThrow(/tree node of height 3 at depth 0 does not hash to what its parent/);
  });

  it("proves, after the one-time build at a later height, keys last written below it", async () => {
    const tmp = tempDir("opl-tree-old-proof-");
    cleanups.push(tmp.cleanup);
    const db = await openDb(tmp.dir);
    const [a, b] = KEYS;
    await db.writeGenesis("x/genesis", [{ key: a, value: utf8("a0") }]); // as before the tree: no tree ops
    await db.commitBlock({ ...EMPTY_BLOCK, height: 1, writes: [{ key: b, value: utf8("b1") }] });
    for (const height of [2, 3]) {
      await db.commitBlock({ ...EMPTY_BLOCK, height, writes: [{ key: a, value: utf8(`a${height}`) }] });
    }
    const state = await LatestState.load(db); // builds the tree of height 3 once
    const proved = await chainProver(db, state).proveAt(3, b); // b was last written at height 1
    expect(toHex(proved.value as Uint8Array)).toBe(toHex(utf8("b1")));
    expect(proofHolds(proved.root, b, proved.value, proved.proof)).toBe(true);
    expect(toHex((await db.getStateAt(b, 2)) as Uint8Array)).toBe(toHex(utf8("b1"))); // history below: unchanged
  });

  it("after a crash between blocks (a batch on disk, the process gone before or after apply), tree and blocks agree", async () => {
    const { dir, db, state, model } = await genesisDb();
    let m = model;
    for (let h = 1; h <= 5; h++) {
      await commit(db, state, writesAt(h));
      m = step(m, writesAt(h));
    }
    // Height 6: its batch is written, then the process dies before apply.
    const w6 = writesAt(6);
    const c6 = state.treeWith(w6);
    await db.commitBlock({ ...EMPTY_BLOCK, height: 6, writes: w6, tree: c6 });
    // Height 7 was being built (a candidate in memory) when it died: nothing of it may be on disk.
    state.treeWith(writesAt(7));
    await db.close();
    const reopened = await openDb(dir);
    expect(await reopened.latestHeight()).toBe(6);
    const loaded = await LatestState.load(reopened);
    expect(loaded.version).toBe(6);
    expect(toHex(loaded.rootHash)).toBe(toHex(referenceRoot(step(m, w6))));
    expect(loaded.treeReader.rootAt(7)).toBeUndefined();
    expectValues(loaded, step(m, w6)); // each read is checked against the tree's leaf: none is refused
  });

  it("prunes below latest - keep_recent in bounded batches: old heights name the oldest, recent ones prove, keys stay bounded", async () => {
    const { db, state, model } = await genesisDb();
    cleanups.push(() => db.close());
    const keepRecent = 4;
    const pruner = new StatePruner(db, keepRecent);
    const models = [model];
    const counts: number[] = [];
    for (let h = 1; h <= 80; h++) {
      await commit(db, state, writesAt(h));
      models.push(step(models[h - 1], writesAt(h)));
      await pruner.run(h);
      if (h % 20 === 0) counts.push((await stored(db, BUCKET.treeNode)) + (await stored(db, BUCKET.stateHistory)));
    }
    // The stored node and history keys do not grow with the number of blocks once pruning runs.
    expect(Math.max(...counts.slice(1))).toBeLessThanOrEqual(counts[0] + 5);
    // Without pruning (keep_recent 0: an archive) they grow with every block.
    const archive = await genesisDb();
    cleanups.push(() => archive.db.close());
    const none = new StatePruner(archive.db, 0);
    for (let h = 1; h <= 80; h++) {
      await commit(archive.db, archive.state, writesAt(h));
      await none.run(h);
    }
    const kept = (await stored(archive.db, BUCKET.treeNode)) + (await stored(archive.db, BUCKET.stateHistory));
    expect(kept).toBeGreaterThan(3 * counts[3]);
    expect(archive.db.oldestRetained).toBe(0);
    expect(await stored(db, BUCKET.treeRoot)).toBe(keepRecent + 1);
    const current = db;
    const prover = chainProver(current, state);
    expect(current.oldestRetained).toBe(76);
    const pruned = prover.proveAt(40, KEYS[1]);
    await expect(pruned).rejects.toThrow(PrunedHeightError);
    await expect(prover.proveAt(75, KEYS[1])).rejects.toThrow(/oldest height still available is 76/);
    await expect(current.getStateAt(KEYS[1], 10)).rejects.toThrow(/oldest height still available is 76/);
    for (let height = 76; height <= 80; height++) {
      for (const key of KEYS) {
        const { value, proof, root } = await prover.proveAt(height, key);
        expect(toHex(root)).toBe(toHex(referenceRoot(models[height])));
        const expected = models[height].get(toHex(key));
        expect(hexOf(value)).toBe(hexOf(expected));
        expect(proofHolds(root, key, value, proof)).toBe(true);
      }
    }
  });
});

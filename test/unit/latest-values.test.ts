import { afterEach, describe, expect, it } from "vitest";
import { encodeAccount } from "../../proto/records.ts";
import { genesisWrites } from "../../state/genesis.ts";
import { getAccount } from "../../state/modules/bank/bank.ts";
import { accountKey } from "../../state/modules/bank/keys.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { SparseMerkleTree, treePath, valueHash } from "../../state/smt.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { LatestState } from "../../state/store/latest-state.ts";
import { LatestValues } from "../../state/store/latest-values.ts";
import { StateValueDamagedError } from "../../state/store/value-damage.ts";
import { entryBytes, MIN_VALUE_CACHE_BYTES } from "../../state/store/value-cache.ts";
import { keyId, type StateWrite } from "../../state/view.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * The latest values live in LevelDB's latest-value bucket, read synchronously (getSync) through a cache
 * bounded in bytes; a value read from disk is checked against the state tree before anyone sees it. Real
 * LevelDB in a temp dir.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openDb(): Promise<ChainDb> {
  const tmp = tempDir("opl-values-");
  const db = await ChainDb.open(tmp.dir);
  cleanups.push(tmp.cleanup, () => db.close());
  return db;
}

function address(i: number): Uint8Array {
  const a = new Uint8Array(20);
  new DataView(a.buffer).setUint32(0, i + 1);
  return a;
}

function accountsGenesis(n: number): StateWrite[] {
  const accounts = Array.from({ length: n }, (_, i) => ({ address: address(i), balance: BigInt(1000 + i) }));
  return genesisWrites({ chainId: "opl-values-1", genesisTimeMs: 0, params: DEFAULT_PARAMS, validators: [], accounts });
}

function treeOf(writes: StateWrite[]): SparseMerkleTree {
  const entries = writes.map((w) => ({ path: treePath(w.key), valueHash: valueHash(w.value as Uint8Array) }));
  return SparseMerkleTree.fromEntries(entries);
}

describe("latest values read from LevelDB through a byte-bounded cache", () => {
  it("classic-level's getSync reads the latest-value bucket (what execution's synchronous reads stand on)", async () => {
    const db = await openDb();
    const writes = accountsGenesis(3);
    await db.writeGenesis("opl-values-1:x", writes);
    const source = db.latestValues();
    for (const w of writes) expect(source.read(w.key)).toEqual(w.value);
    expect(source.read(accountKey(address(99)))).toBeUndefined();
  });

  it("serves every account right with a cache far smaller than the state, and stays within its bound", async () => {
    const db = await openDb();
    const n = 8_000;
    await db.writeGenesis("opl-values-1:x", accountsGenesis(n));
    const state = await LatestState.load(db, { valueCacheBytes: MIN_VALUE_CACHE_BYTES });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < n; i++) expect(getAccount(state, address(i)).balance).toBe(BigInt(1000 + i));
    }
    const { cacheBytes, cacheEntries, diskReads } = state.valueStats;
    expect(cacheBytes).toBeLessThanOrEqual(MIN_VALUE_CACHE_BYTES);
    expect(cacheEntries * entryBytes(keyId(accountKey(address(0))), encodeAccount({ nonce: 0, balance: 1n }), true))
      .toBeGreaterThan(MIN_VALUE_CACHE_BYTES / 4);
    expect(cacheEntries).toBeLessThan(n); // not everything fits: the second round read from disk again
    expect(diskReads).toBeGreaterThan(n);
  });

  it("a committed block's values are served at once, and the state before it until it is applied", async () => {
    const db = await openDb();
    const writes = accountsGenesis(10);
    await db.writeGenesis("opl-values-1:x", writes);
    const state = await LatestState.load(db, { valueCacheBytes: MIN_VALUE_CACHE_BYTES });
    const key = accountKey(address(3));
    const changed: StateWrite[] = [{ key, value: encodeAccount({ nonce: 1, balance: 7n }) }];
    const tree = state.treeWith(changed);
    // The block's batch is on disk, not yet applied: readers (the mempool, the RPC) see the previous state,
    // which the tree they are checked against describes, and no read is taken for damage.
    await db.writeGenesis("opl-values-1:x", changed);
    expect(getAccount(state, address(3)).balance).toBe(1003n);
    state.apply(changed, tree);
    expect(getAccount(state, address(3))).toEqual({ nonce: 1, balance: 7n });
  });

  it("a value on disk that is not the tree's is refused on its first read, with what is wrong and what to do", async () => {
    const db = await openDb();
    const good = accountsGenesis(5);
    const tree = treeOf(good);
    const flipped = good.map((w) => ({ ...w }));
    const target = flipped.findIndex((w) => w.key.byteLength > 0 && keyId(w.key) === keyId(accountKey(address(2))));
    const damaged = (flipped[target].value as Uint8Array).slice();
    damaged[damaged.length - 1] ^= 0x01;
    flipped[target].value = damaged;
    await db.writeGenesis("opl-values-1:x", flipped);
    const values = new LatestValues(db.latestValues(), (path) => tree.lookup(path));
    const read = (i: number) => values.get(keyId(accountKey(address(i))), accountKey(address(i)));
    expect(read(1)).toEqual(good.find((w) => keyId(w.key) === keyId(accountKey(address(1))))?.value);
    expect(() => read(2)).toThrow(StateValueDamagedError);
    expect(() => read(2)).toThrow(/does not hash to the state tree's leaf: a state value is damaged.*restore/s);
  });

  it("absent must be absent: a lost value and a value the tree does not hold are refused too", async () => {
    const db = await openDb();
    const good = accountsGenesis(5);
    const lost = accountKey(address(4));
    await db.writeGenesis("opl-values-1:x", good.filter((w) => keyId(w.key) !== keyId(lost)));
    const values = new LatestValues(db.latestValues(), (path) => treeOf(good).lookup(path));
    expect(() => values.get(keyId(lost), lost)).toThrow(/is missing, though the state tree holds it/);
    // A value on disk the tree does not hold is never served (the tree answers absence without a disk
    // read), and a pass over the database that meets it refuses it.
    const extra = new LatestValues(db.latestValues(), (path) => treeOf(good.slice(1)).lookup(path));
    const first = good[0].key;
    expect(extra.get(keyId(first), first)).toBeUndefined();
    expect(extra.diskReads).toBe(0);
    await expect(extra.withPrefix(first)).rejects.toThrow(/is present, though the state tree has no such key/);
    // A key nobody holds is simply absent.
    expect(values.get(keyId(accountKey(address(77))), accountKey(address(77)))).toBeUndefined();
  });

  it("a prefix pass (start-up's validator sets) reads only that prefix, each value checked", async () => {
    const db = await openDb();
    const writes = accountsGenesis(50);
    await db.writeGenesis("opl-values-1:x", writes);
    const state = await LatestState.load(db, { valueCacheBytes: MIN_VALUE_CACHE_BYTES });
    const prefix = accountKey(address(7)).subarray(0, accountKey(address(7)).byteLength - 2);
    const entries = await state.withPrefix(prefix);
    const expected = writes.filter((w) => keyId(w.key).startsWith(keyId(prefix)));
    expect(entries.map(([k]) => keyId(k))).toEqual(expected.map((w) => keyId(w.key)));
    expect(entries.length).toBeLessThan(writes.length);
  });
});

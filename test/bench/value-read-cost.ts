import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { equalBytes } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { SparseMerkleTree, treePath, valueHash } from "../../state/smt.ts";
import { decodeStoredAccount, encodeAccount } from "../../proto/records.ts";
import { fundedAccountWrites } from "../../state/genesis.ts";
import { accountKey } from "../../state/modules/bank/keys.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { LatestState } from "../../state/store/latest-state.ts";
import { MIN_VALUE_CACHE_BYTES } from "../../state/store/value-cache.ts";
import { keyId, type RecordCodec } from "../../state/view.ts";

/**
 * What a latest-value read costs (state/store/latest-values.ts), on real LevelDB with N accounts:
 *   - a cache hit (what execution meets for the accounts a chain is busy with),
 *   - a miss: LevelDB getSync alone, and getSync + the damage check (the key's tree path, the tree's leaf,
 *     the value's hash) + the decode, as the node does it,
 *   - a miss of a key no one holds (the tree answers: no disk read).
 * Each is also given in sha256(64 bytes) hashes measured just before, so figures compare on a busy machine.
 *
 *   npx node test/bench/value-read-cost.ts [--accounts 100000]
 */

const argv = process.argv.slice(2);
const n = argv[0] === "--accounts" ? Number(argv[1]) : 100_000;

function perSec(fn: (i: number) => void, ms = 1000): number {
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 1000; i++) fn(count + i);
    count += 1000;
  }
  return count / ((performance.now() - start) / 1000);
}

function address(i: number): Uint8Array {
  const a = new Uint8Array(20);
  new DataView(a.buffer).setUint32(0, i + 1);
  return a;
}

const ACCOUNT: RecordCodec<unknown> = {
  decode: decodeStoredAccount,
  encode: encodeAccount as (r: unknown) => Uint8Array,
};

const dir = mkdtempSync(join(tmpdir(), "opl-read-cost-"));
try {
  const db = await ChainDb.open(dir);
  for (let from = 0; from < n; from += 10_000) {
    const length = Math.min(10_000, n - from);
    const batch = Array.from({ length }, (_, i) => ({ address: address(from + i), balance: 5n }));
    await db.writeGenesisPart(fundedAccountWrites(batch));
  }
  await db.writeGenesis("opl-read-cost:x", []);
  const state = await LatestState.load(db, { valueCacheBytes: MIN_VALUE_CACHE_BYTES });
  const keys = Array.from({ length: n }, (_, i) => accountKey(address(i)));
  const ids = keys.map(keyId);
  const input = new Uint8Array(64);
  const hashes = perSec(() => sha256(input));
  const source = db.latestValues();
  // Misses: keys in an order that walks the whole state, far more than the 1 MiB cache holds.
  const stride = 7919;
  const raw = perSec((i) => source.read(keys[(i * stride) % n]));
  // The damage check alone, as LatestValues makes it: the key's path, the tree's leaf, the value's hash.
  const tree = SparseMerkleTree.fromEntries(keys.map((k) => {
    const value = source.read(k) as Uint8Array;
    return { path: treePath(k), valueHash: valueHash(value) };
  }));
  const checked = perSec((i) => {
    const k = keys[(i * stride) % n];
    const leaf = tree.lookup(treePath(k));
    const value = source.read(k) as Uint8Array;
    if (leaf === undefined || !equalBytes(valueHash(value), leaf)) throw new Error("damaged");
  });
  const miss = perSec((i) => {
    const k = (i * stride) % n;
    state.getRecordId(ids[k], keys[k], ACCOUNT);
  });
  // A key no one holds (a transfer to a new account): the tree answers, no disk read.
  const absent = perSec((i) => {
    const key = accountKey(address(n + i));
    state.getRecordId(keyId(key), key, ACCOUNT);
  });
  const hot = perSec((i) => state.getRecordId(ids[i % 1000], keys[i % 1000], ACCOUNT));
  const us = (rate: number) => (1e6 / rate).toFixed(2);
  const inHashes = (rate: number) => (hashes / rate).toFixed(2);
  console.log(`command: npx node test/bench/value-read-cost.ts --accounts ${n}`);
  console.log(`yardstick: ${(hashes / 1e6).toFixed(2)}M sha256(64 bytes)/s`);
  console.log(`cache hit (decoded record): ${us(hot)} us = ${inHashes(hot)} sha256`);
  console.log(`miss, LevelDB getSync only: ${us(raw)} us = ${inHashes(raw)} sha256`);
  console.log(`miss, getSync + the tree check: ${us(checked)} us = ${inHashes(checked)} sha256; the check adds ` +
    `${Math.max(0, (raw / checked - 1) * 100).toFixed(0)}% to a disk read`);
  console.log(`miss of an absent key (the tree says absent): ${us(absent)} us = ${inHashes(absent)} sha256`);
  console.log(`miss, the node's whole path (check, decode, cache insert and eviction): ${us(miss)} us = ` +
    `${inHashes(miss)} sha256`);
  await db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

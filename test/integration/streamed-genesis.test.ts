import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { homePaths, readConfig } from "../../node/config.ts";
import { ChainMismatchError } from "../../node/chain-open.ts";
import {
  ACCOUNTS_FILE_NAME,
  addAccountsFile,
  generateAccountsFile,
  writeStreamedGenesis,
} from "../../node/genesis-accounts.ts";
import { genesisIdentity, readGenesisFile } from "../../node/genesis-file.ts";
import { initHome } from "../../node/init.ts";
import { OplNode } from "../../node/node.ts";
import { RpcClient } from "../../rpc/client.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";
import { encodeAddress } from "../../crypto/address.ts";
import { fundedAccountWrites } from "../../state/genesis.ts";
import { SparseMerkleTree, treePath, valueHash } from "../../state/smt.ts";
import { BUCKET } from "../../state/store/buckets.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { NodeReader } from "../../state/tree/node-reader.ts";
import { toHex } from "../../crypto/bytes.ts";

/**
 * A genesis of many accounts kept in a file of their own (genesis.json names it by sha256): written into the
 * database once, in a stream; a restart never reads it again; another file is another chain. Real nodes
 * (in-process), real LevelDB, real JSON-RPC.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function homeWithAccounts(count: number, seed = "streamed-test"): Promise<string> {
  const tmp = tempDir("opl-streamed-");
  cleanups.push(tmp.cleanup);
  await initHome({
    home: tmp.dir,
    chainId: "opl-streamed-1",
    moniker: "v0",
    rpcListen: "127.0.0.1:0",
    p2pListen: "/ip4/127.0.0.1/tcp/0",
    now: () => Date.parse("2026-12-01T00:00:00Z"),
  });
  await addAccountsFile(tmp.dir, { generate: { count, balance: 7n, seed } });
  return tmp.dir;
}

async function start(home: string): Promise<OplNode> {
  const config = readConfig(homePaths(home).config);
  config.consensus.block_interval_ms = 50;
  const node = await OplNode.start({ home, config, logger: pino({ level: "silent" }) });
  cleanups.push(() => node.stop());
  return node;
}

async function stop(node: OplNode): Promise<void> {
  await node.stop();
  cleanups.splice(cleanups.length - 1, 1);
}

/** The address on line `n` (1-based) of a home's accounts file. */
function fileAddress(home: string, n: number): string {
  const lines = readFileSync(join(home, ACCOUNTS_FILE_NAME), "utf8").split("\n");
  return (JSON.parse(lines[n - 1]) as { address: string }).address;
}

describe("a genesis with its accounts in a streamed file", () => {
  it("50,000 accounts: genesis.json stays small, the chain runs, and a restart opens without the file", async () => {
    const home = await homeWithAccounts(50_000);
    expect(readFileSync(homePaths(home).genesis).byteLength).toBeLessThan(10_000);
    const last = fileAddress(home, 50_000);
    let node = await start(home);
    await waitFor("two blocks", () => (node.app.info().height >= 2 ? true : undefined));
    let rpc = new RpcClient(node.rpc.url);
    expect(await rpc.call("account_get", { address: last })).toMatchObject({ balance: "7" });
    const height = node.app.info().height;
    await stop(node);

    // The file is not read again: the chain opens without it, at the height it had.
    renameSync(join(home, ACCOUNTS_FILE_NAME), join(home, "moved-away.jsonl"));
    node = await start(home);
    expect(node.app.info().height).toBeGreaterThanOrEqual(height);
    rpc = new RpcClient(node.rpc.url);
    expect(await rpc.call("account_get", { address: last })).toMatchObject({ balance: "7" });
    await waitFor("a block after the restart", () => (node.app.info().height > height ? true : undefined));
    await stop(node);
  });

  it("another accounts file is another chain: refused by a database made from the first", async () => {
    const home = await homeWithAccounts(2_000);
    const node = await start(home);
    await waitFor("a block", () => (node.app.info().height >= 1 ? true : undefined));
    await stop(node);
    const before = genesisIdentity(readGenesisFile(homePaths(home).genesis));

    // The same genesis with other accounts (as a coordinator's edited file would be).
    const other = tempDir("opl-other-");
    cleanups.push(other.cleanup);
    const otherFile = join(other.dir, ACCOUNTS_FILE_NAME);
    const made = await generateAccountsFile(otherFile, { count: 2_000, balance: 7n, seed: "another seed" });
    renameSync(otherFile, join(home, ACCOUNTS_FILE_NAME));
    const genesis = JSON.parse(readFileSync(homePaths(home).genesis, "utf8")) as { accountsFile: { sha256: string } };
    genesis.accountsFile.sha256 = made.sha256;
    writeFileSync(homePaths(home).genesis, JSON.stringify(genesis));
    expect(genesisIdentity(readGenesisFile(homePaths(home).genesis))).not.toBe(before);

    const restart = start(home);
    await expect(restart).rejects.toThrow(ChainMismatchError);
    await expect(restart).rejects.toThrow(/this data directory belongs to chain .*but genesis.json describes/);
  });

  it("a changed accounts file under an unchanged genesis.json is refused before anything is written", async () => {
    const home = await homeWithAccounts(1_000);
    const path = join(home, ACCOUNTS_FILE_NAME);
    const original = readFileSync(path);
    writeFileSync(path, Buffer.from(original.toString("utf8").replace(/"balance":"7"/, "\"balance\":\"8\"")));
    await expect(start(home)).rejects.toThrow(
      /has sha256 [0-9a-f]{64}, but genesis.json names .*not this chain's accounts file/,
    );
    // Nothing of it was written: with the right file back, the chain starts from genesis.
    writeFileSync(path, original);
    const node = await start(home);
    await waitFor("a block", () => (node.app.info().height >= 1 ? true : undefined));
    expect(await new RpcClient(node.rpc.url).call("account_get", { address: fileAddress(home, 1) }))
      .toMatchObject({ balance: "7" });
  });

  it("a genesis write that stopped half-way (the process killed) is written again from the start", async () => {
    const home = await homeWithAccounts(1_000);
    // What a killed first start leaves: some accounts written, no chain identity.
    const stray = new Uint8Array(20).fill(0xff);
    const db = await ChainDb.open(homePaths(home).chainDb);
    await db.writeGenesisPart(fundedAccountWrites([{ address: stray, balance: 99n }]));
    await db.close();
    const node = await start(home);
    await waitFor("a block", () => (node.app.info().height >= 1 ? true : undefined));
    const rpc = new RpcClient(node.rpc.url);
    expect(await rpc.call("account_get", { address: encodeAddress(stray) })).toMatchObject({ balance: "0" });
    expect(await rpc.call("account_get", { address: fileAddress(home, 1000) })).toMatchObject({ balance: "7" });
  });

  it("writes the tree of height 0 while streaming (no build at the first load) and leaves no temporary entries", async () => {
    const home = await homeWithAccounts(3_000);
    const genesis = readGenesisFile(homePaths(home).genesis);
    const db = await ChainDb.open(homePaths(home).chainDb);
    cleanups.push(() => db.close());
    await writeStreamedGenesis(db, genesis, genesisIdentity(genesis));
    const root = new NodeReader(db.treeStore()).rootAt(0);
    expect(root).toBeDefined();
    const entries = [];
    for await (const [key, value] of db.latestState()) {
      entries.push({ path: treePath(key), valueHash: valueHash(value) });
    }
    expect(entries.length).toBeGreaterThan(3_000);
    const tree = SparseMerkleTree.fromEntries(entries);
    expect(toHex(root === null || root === undefined ? new Uint8Array(32) : root.hash)).toBe(toHex(tree.rootHash));
    const bucket = BUCKET.genesisTreeEntries;
    expect(await db.rawEntries(Uint8Array.of(bucket), Uint8Array.of(bucket + 1), 1)).toEqual([]);
  });
});

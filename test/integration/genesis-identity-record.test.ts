import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ChainMismatchError, openChain, STATE_FORMAT } from "../../node/chain-open.ts";
import { homePaths } from "../../node/config.ts";
import { genesisIdentity, readGenesisFile } from "../../node/genesis-file.ts";
import { initHome } from "../../node/init.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * A database records the chain identity it was opened with under the digest of the genesis bytes (and the
 * parameters as read): a restart with the same genesis.json does not hash its accounts again, and any other
 * genesis (other bytes, or the same bytes read with other parameter defaults) is checked in full.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function home(): Promise<string> {
  const tmp = tempDir("opl-identity-");
  cleanups.push(tmp.cleanup);
  await initHome({ home: tmp.dir, chainId: "opl-identity-1", moniker: "v0" });
  return tmp.dir;
}

async function open(dir: string): Promise<ChainDb> {
  const db = await ChainDb.open(homePaths(dir).chainDb);
  cleanups.push(() => db.close());
  return db;
}

describe("the genesis identity, recorded once", () => {
  it("is recorded under the genesis bytes' digest, and a restart with the same bytes opens", async () => {
    const dir = await home();
    const genesis = readGenesisFile(homePaths(dir).genesis);
    const db = await open(dir);
    await openChain(db, genesis);
    expect(await db.getLocal("genesis-source")).toBe(`${genesis.sourceDigest} ${genesisIdentity(genesis)}`);
    const again = readGenesisFile(homePaths(dir).genesis);
    expect(again.sourceDigest).toBe(genesis.sourceDigest);
    await expect(openChain(db, again)).resolves.toMatchObject({ info: { height: 0 } });
  });

  it("other bytes of the same genesis open (checked in full); another genesis is refused", async () => {
    const dir = await home();
    const db = await open(dir);
    await openChain(db, readGenesisFile(homePaths(dir).genesis));
    const path = homePaths(dir).genesis;
    const text = readFileSync(path, "utf8");
    writeFileSync(path, JSON.stringify(JSON.parse(text))); // same genesis, other bytes
    const compact = readGenesisFile(path);
    await expect(openChain(db, compact)).resolves.toMatchObject({ info: { height: 0 } });
    expect(await db.getLocal("genesis-source")).toBe(`${compact.sourceDigest} ${genesisIdentity(compact)}`);
    const file = JSON.parse(text) as { params: { minFee: string } };
    file.params.minFee = "12345";
    writeFileSync(path, JSON.stringify(file));
    await expect(openChain(db, readGenesisFile(path))).rejects.toThrow(ChainMismatchError);
  });

  it("a genesis.json relying on parameter defaults and one spelling them out: one identity, two digests", async () => {
    const dir = await home();
    const genesis = readGenesisFile(homePaths(dir).genesis);
    const file = JSON.parse(readFileSync(homePaths(dir).genesis, "utf8")) as { params: Record<string, unknown> };
    delete file.params.minFee; // read with the binary's default: the same params, so the same digest
    writeFileSync(homePaths(dir).genesis, JSON.stringify(file));
    const defaulted = readGenesisFile(homePaths(dir).genesis);
    expect(defaulted.params).toEqual(genesis.params);
    expect(defaulted.sourceDigest).not.toBe(genesis.sourceDigest); // other bytes
    expect(genesisIdentity(defaulted)).toBe(genesisIdentity(genesis));
  });

  it("records the state format with the chain, and refuses a database of another format by name", async () => {
    const dir = await home();
    const genesis = readGenesisFile(homePaths(dir).genesis);
    const db = await open(dir);
    await openChain(db, genesis);
    expect(await db.getLocal("state-format")).toBe(String(STATE_FORMAT));
    await expect(openChain(db, genesis)).resolves.toMatchObject({ info: { height: 0 } });
    // A database written by a build of format 1 (before unbonding groups) is refused, not misread later.
    await db.putLocal("state-format", "1");
    await expect(openChain(db, genesis)).rejects.toThrow(
      new ChainMismatchError(
        `this data directory's state is in format 1, but this build reads format ${STATE_FORMAT} ` +
        "(docs/module-state.md says what changed); start the chain again from genesis in a fresh home, or run the " +
        "build that wrote it",
      ),
    );
  });
});

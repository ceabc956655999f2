import { Level } from "level";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { toBase64, utf8 } from "../../crypto/bytes.ts";
import { homePaths, readConfig } from "../../node/config.ts";
import { OplNode } from "../../node/node.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

const FEE = DEFAULT_PARAMS.minFee;
let chain: TestChain | undefined;
afterEach(async () => {
  await chain?.stop();
  chain = undefined;
});

async function tamper(home: string, edit: (db: Level<Uint8Array, Uint8Array>) => Promise<void>): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(homePaths(home).chainDb, { keyEncoding: "view", valueEncoding: "view" });
  await db.open();
  await edit(db);
  await db.close();
}

async function restart(home: string): Promise<OplNode> {
  const config = readConfig(homePaths(home).config);
  return OplNode.start({ home, config, logger: pino({ level: "silent" }) });
}

describe("the application checks what it is given", () => {
  it("refuses a block whose header matches a valid proposal but whose body was swapped", async () => {
    chain = await startTestChain({ blockIntervalMs: 600_000 }); // the producer stays out of the way
    const bob = new TestAccount();
    const tx = chain.faucet.transfer(chain.chainId, bob.address, FEE, FEE);
    await chain.rpc.call("tx_submit", { tx: toBase64(tx.bytes) });
    const app = chain.node.app;
    const info = app.info();
    const proposer = chain.node.genesis.validators[0].address;
    const height = info.height + 1;
    const timeMs = info.lastBlockTimeMs + 1;
    const block = await app.propose({ height, timeMs, proposer, lastCommit: undefined, evidence: [] });
    expect(block.txs).toHaveLength(1);
    expect(await app.validate(block)).toEqual({ valid: true });
    const forged = { ...block, txs: [] };
    const verdict = await app.validate(forged);
    expect(verdict.valid).toBe(false);
    expect(verdict.valid === false && verdict.reason).toMatch(/txs root/);
  });
});

describe("start-up refuses a damaged database", () => {
  it("stops with a clear error when the latest-height marker is gone", async () => {
    chain = await startTestChain();
    await chain.waitForHeight(3);
    const home = chain.home;
    await chain.node.stop();
    await tamper(home, (db) => db.del(Uint8Array.of(0x4d, ...utf8("latest"))));
    await expect(restart(home)).rejects.toThrow(/no latest height/);
    await tamper(home, (db) => db.del(Uint8Array.of(0x4d, ...utf8("chain"))));
    await expect(restart(home)).rejects.toThrow(/holds data but no chain identity/);
    chain.removeHome();
    chain = undefined; // already stopped
  });
});

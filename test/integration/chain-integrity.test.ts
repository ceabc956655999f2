import { Level } from "level";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { encodeAddress } from "../../crypto/address.ts";
import { toBase64, utf8 } from "../../crypto/bytes.ts";
import { loadValidatorKey } from "../../node/validator-key.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { waitFor } from "../helpers/tmp.ts";
import { type Block, blockHash, evidenceRoot } from "../../proto/block.ts";
import { type DuplicateVoteEvidence, PRECOMMIT, type SignedVote, voteSignBytes } from "../../proto/consensus.ts";
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

describe("start-up ignores a proposer-priority checkpoint that does not match the chain", () => {
  it("keeps making blocks with an empty or foreign checkpoint in its local store", async () => {
    chain = await startTestChain({ blockIntervalMs: 50 });
    await chain.waitForHeight(3);
    const home = chain.home;
    let node = chain.node;
    try {
      for (const bad of [
        "{\"height\":2,\"set\":[]}", // once made every start fail: "empty validator set"
        `{"height":2,"set":[{"id":"${"00".repeat(20)}","power":"7","priority":"0"}]}`, // not this chain's set
        "not json",
      ]) {
        await node.stop();
        const db = await ChainDb.open(homePaths(home).chainDb);
        await db.putLocal("proposer-priorities", bad);
        await db.close();
        node = await restart(home);
        const from = node.app.info().height;
        const restarted = node;
        await waitFor(`blocks after a restart with checkpoint ${bad}`, () =>
          (restarted.app.info().height >= from + 3 ? true : undefined), 20_000);
      }
    } finally {
      await node.stop();
      chain.removeHome();
      chain = undefined; // stopped here
    }
  });
});

describe("evidence in blocks", () => {
  it("includes canonical evidence once, slashes, and refuses it swapped, again, or against the slashed", async () => {
    chain = await startTestChain({ blockIntervalMs: 600_000 }); // blocks are made by hand below
    const { app } = chain.node;
    const key = loadValidatorKey(homePaths(chain.home).validatorKey);
    const chainId = chain.chainId;
    const precommit = (height: number, blockHash: Uint8Array, timeMs: number): SignedVote => {
      const vote = { type: PRECOMMIT, height, round: 0, blockHash, timeMs, validatorAddress: key.address } as const;
      return { vote, signature: key.sign(voteSignBytes(chainId, vote)) };
    };
    const makeBlock = async (evidence: DuplicateVoteEvidence[]) => {
      const info = app.info();
      const timeMs = info.lastBlockTimeMs + 1;
      const height = info.height + 1;
      return app.propose({ height, timeMs, proposer: key.address, lastCommit: info.lastCommit, evidence });
    };
    const commitByHand = async (block: Block) => {
      const hash = blockHash(block.header);
      const sv = precommit(block.header.height, hash, block.header.timeMs);
      await app.commit(block, {
        height: block.header.height,
        round: 0,
        blockHash: hash,
        signatures: [{ validatorAddress: key.address, timeMs: sv.vote.timeMs, signature: sv.signature }],
      });
    };
    await commitByHand(await makeBlock([]));

    // The validator signs precommits for two different blocks at height 1: an equivocation.
    const [low, high] = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    const canonical = { voteA: precommit(1, low, 5), voteB: precommit(1, high, 6) };
    const swapped = { voteA: canonical.voteB, voteB: canonical.voteA };
    expect((await makeBlock([swapped])).evidence).toEqual([]); // one equivocation, one encoding
    const withEvidence = await makeBlock([canonical, canonical]);
    expect(withEvidence.evidence).toEqual([canonical]);
    expect(await app.validate(withEvidence)).toEqual({ valid: true });
    const forged = {
      ...withEvidence,
      header: { ...withEvidence.header, evidenceRoot: evidenceRoot([swapped]) },
      evidence: [swapped],
    };
    const verdict = await app.validate(forged);
    expect(verdict.valid === false && verdict.reason).toMatch(/canonical order/);

    await commitByHand(withEvidence);
    const selfStake = chain.node.genesis.validators[0].selfStake;
    const supply = await chain.rpc.call<{ treasury: string }>("bank_getSupply");
    expect(BigInt(supply.treasury)).toBe(selfStake / 20n); // 5% of the bond
    const operator = encodeAddress(chain.node.genesis.validators[0].operator);
    const v = await chain.rpc.call<{ tombstoned: boolean }>("staking_getValidator", { address: operator });
    expect(v.tombstoned).toBe(true);
    // The block shows the evidence it committed and the slash it caused.
    const shown = await chain.rpc.call<{
      evidence: { validator: string; height: number }[];
      events: { type: string; attributes: Record<string, string> }[];
    }>("chain_getBlock", { height: withEvidence.header.height });
    expect(shown.evidence).toMatchObject([{ validator: encodeAddress(key.address), height: 1 }]);
    expect(shown.events).toContainEqual({
      type: "slash",
      attributes: expect.objectContaining({ validator: operator, reason: "double_sign", amount: String(selfStake / 20n) }),
    });

    // Committed: never again, neither proposed nor accepted from another proposer.
    expect((await makeBlock([canonical])).evidence).toEqual([]);
    const again = await makeBlock([]);
    const replay = {
      ...again,
      header: { ...again.header, evidenceRoot: evidenceRoot([canonical]) },
      evidence: [canonical],
    };
    const refused = await app.validate(replay);
    expect(refused.valid === false && refused.reason).toMatch(/already committed/);
  });
});

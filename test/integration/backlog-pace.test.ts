import { join } from "node:path";
import { toBase64, toHex } from "../../crypto/bytes.ts";
import { decodeTx } from "../../proto/tx.ts";
import type { ChainParams } from "../../state/params.ts";
import { txWork } from "../../state/work.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { startTestChain } from "../helpers/in-process-node.ts";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { initialPrioritySet, ProposerSchedule } from "../../consensus/proposer.ts";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { generateSecretKey, publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import { ConsensusDriver } from "../../node/consensus-driver.ts";
import { GuardedSigner } from "../../node/signer.ts";
import { createValidatorKey, loadValidatorKey, type ValidatorKey } from "../../node/validator-key.ts";
import { type Block, blockHash, encodeBlock, type Validator } from "../../proto/block.ts";
import { PRECOMMIT, PREVOTE, proposalSignBytes, type VoteType, voteSignBytes } from "../../proto/consensus.ts";
import type { ConsensusMessage } from "../../proto/p2p.ts";
import { smallBlock } from "../helpers/max-block.ts";
import { MemoryApp, SLOW_TIMEOUTS } from "../helpers/memory-app.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * The block interval is the chain's pace when idle, not a cap on its throughput: when the pending
 * transactions already fill a block (the driver's `backlogged`), the next height starts as soon as the last
 * one is committed with every validator's precommit in hand, instead of waiting out the interval. The
 * interval here is a minute, so a height that starts within the test's deadlines did not wait for it; a
 * height that must wait is checked after a queue barrier (a job queued behind whatever the decision queued),
 * so no test waits on the clock to see that nothing happened.
 */
const CHAIN_ID = "opl-max-1";
const A_MINUTE = 60_000;

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function ownKey(): ValidatorKey {
  const t = tempDir("opl-pace-");
  cleanups.push(t.cleanup);
  createValidatorKey(join(t.dir, "key.json"));
  return loadValidatorKey(join(t.dir, "key.json"));
}

/** `backlogged`: whether the pending txs fill a block, asked of the app's chain as it is now. */
function startDriver(key: ValidatorKey, validators: Validator[], backlogged: (app: MemoryApp) => boolean) {
  const t = tempDir("opl-pace-");
  const app = new MemoryApp(validators);
  const fatal: unknown[] = [];
  const driver = new ConsensusDriver({
    app,
    network: { broadcast: () => {} },
    signer: new GuardedSigner(key, join(t.dir, "signer.json"), join(t.dir, "audit.log")),
    walPath: join(t.dir, "cs.wal"),
    timeouts: SLOW_TIMEOUTS,
    commitTimeoutMs: A_MINUTE,
    backlogged: () => backlogged(app),
    logger: pino({ level: "silent" }),
    onFatal: (err) => fatal.push(err),
  });
  cleanups.push(async () => {
    await driver.stop();
    t.cleanup();
  });
  const committed = (height: number) =>
    waitFor(`height ${height} committed`, () => {
      if (fatal.length > 0) throw new Error(String(fatal[0]));
      return app.committed.length >= height ? true : undefined;
    }, 20_000);
  /** Resolves once every job the driver queued so far has run (block sync's entry point is a queue job). */
  const queueDrained = () => driver.applySynced(smallBlock({ height: 1_000 }), undefined as never);
  return { app, driver, fatal, committed, queueDrained };
}

describe("block interval under backlog", () => {
  it("one validator, idle: the next height waits out the interval", async () => {
    const key = ownKey();
    const one = [{ address: key.address, pubkey: key.publicKey, power: 10 }];
    const n = startDriver(key, one, () => false);
    await n.driver.start();
    await n.committed(1);
    expect(await n.queueDrained()).toBe(false);
    expect(n.driver.height).toBe(1); // height 2 is a minute away
    expect(n.app.committed).toHaveLength(1);
    expect(n.fatal).toEqual([]);
  });

  it("one validator, a full block waiting: heights follow each other without waiting the interval", async () => {
    const key = ownKey();
    const one = [{ address: key.address, pubkey: key.publicKey, power: 10 }];
    // The pool holds two full blocks more than height 1 takes: heights 2 and 3 start at once, height 4 waits.
    const n = startDriver(key, one, (app) => app.committed.length < 3);
    await n.driver.start();
    await n.committed(3); // well within the deadline, with a one-minute interval
    expect(await n.queueDrained()).toBe(false);
    expect(n.driver.height).toBe(3);
    expect(n.app.committed).toHaveLength(3);
    expect(n.fatal).toEqual([]);
  });

  it("one validator waiting out the interval: a block's worth arriving starts the next height then", async () => {
    const key = ownKey();
    const one = [{ address: key.address, pubkey: key.publicKey, power: 10 }];
    let backlog = false;
    const n = startDriver(key, one, () => backlog);
    await n.driver.start();
    await n.committed(1);
    expect(await n.queueDrained()).toBe(false);
    expect(n.driver.height).toBe(1); // idle: height 2 is a minute away
    n.driver.backlogGrew(); // a nudge without a backlog changes nothing
    expect(await n.queueDrained()).toBe(false);
    expect(n.driver.height).toBe(1);
    backlog = true; // the mempool now holds a full block
    n.driver.backlogGrew();
    await n.committed(2);
    expect(n.fatal).toEqual([]);
  });

  it("four validators, a full block waiting: the next height starts once every precommit is in, not before", async () => {
    const key = ownKey();
    const set = fourValidators(key);
    const { validators, secretOf, p0 } = set;
    const n = startDriver(key, validators, () => true);
    await n.driver.start();
    await waitFor("height 1 started", () => (n.driver.height === 1 ? true : undefined), 10_000);

    const block: Block = smallBlock({ height: 1, timeMs: Date.now(), proposerAddress: validators[p0].address });
    const hash = blockHash(block.header);
    const proposer = validators[p0].address;
    const p = { height: 1, round: 0, polRound: -1, blockHash: hash, timeMs: Date.now(), proposerAddress: proposer };
    const signature = signPortable(proposalSignBytes(CHAIN_ID, p), secretOf.get(p0) as Uint8Array);
    n.driver.receive({ type: "proposal", proposal: { proposal: p, signature }, blockBytes: encodeBlock(block) });
    const vote = (type: VoteType, i: number): ConsensusMessage => {
      const validatorAddress = validators[i].address;
      const v = { type, height: 1, round: 0, blockHash: hash, timeMs: Date.now(), validatorAddress };
      const sig = signPortable(voteSignBytes(CHAIN_ID, v), secretOf.get(i) as Uint8Array);
      return { type: "vote", vote: { vote: v, signature: sig } };
    };
    const others = [...secretOf.keys()];
    for (const i of others) n.driver.receive(vote(PREVOTE, i));
    // Two peers' precommits and our own: a quorum (30 of 40), the fourth validator's still missing.
    for (const i of others.slice(0, 2)) n.driver.receive(vote(PRECOMMIT, i));
    await n.committed(1);
    expect(await n.queueDrained()).toBe(false);
    expect(n.driver.height).toBe(1); // backlogged, but a precommit is missing: not started yet

    // The last validator's precommit arrives late: every precommit is in, the next height starts at once.
    n.driver.receive(vote(PRECOMMIT, others[2]));
    await waitFor("height 2 started", () => (n.driver.height === 2 ? true : undefined), 10_000);
    expect(toHex(blockHash(n.app.committed[0].header))).toBe(toHex(hash));
    expect(n.fatal).toEqual([]);
  });
});

describe("a node's blocks under backlog (in process: real LevelDB, real RPC)", () => {
  it("a mempool holding several blocks' work is committed block after block, then the idle pace returns", async () => {
    const probe = new TestAccount().transfer("opl-test-1", new TestAccount().address, 1n, 10n ** 15n);
    const each = txWork(decodeTx(probe.bytes));
    const interval = 3_000;
    // Blocks of 3 transfers every 3 s when idle; 12 transfers sent at once are 4 blocks of work.
    const params = (p: ChainParams) => ({ ...p, maxBlockWork: each * 3 });
    const chain = await startTestChain({ blockIntervalMs: interval, params });
    cleanups.push(() => chain.stop());
    const blocks: { height: number; timeMs: number; numTxs: number }[] = [];
    chain.node.app.onCommit((e) => void blocks.push({ height: e.height, timeMs: e.timeMs, numTxs: e.numTxs }));
    await chain.waitForHeight(1);
    const send = () => chain.faucet.transfer(chain.chainId, new TestAccount().address, 1n, 10n ** 15n);
    const txs = Array.from({ length: 12 }, send);
    const answers = await chain.rpc.batch(txs.map((t) => ({ method: "tx_submit", params: { tx: toBase64(t.bytes) } })));
    for (const a of answers) expect(a.error, JSON.stringify(a.error)).toBeUndefined();

    const committed = () => blocks.reduce((n, b) => n + b.numTxs, 0);
    await waitFor("all 12 transfers committed", () => (committed() >= 12 ? true : undefined), 30_000);
    const withTxs = blocks.filter((b) => b.numTxs > 0);
    const last = withTxs[withTxs.length - 1];
    // Waiting out the interval between them would take 3 intervals; they came one after another.
    expect(withTxs.length).toBeGreaterThanOrEqual(4);
    expect(last.timeMs - withTxs[0].timeMs).toBeLessThan(interval);
    // The first came at the idle pace (the block before it was empty: only a full last block shows the chain
    // bound by its limit, so txs that can never be reaped cannot make empty blocks run at consensus speed).
    const before = await chain.rpc.call<{ header: { time: string } }>("chain_getBlock", { height: withTxs[0].height - 1 });
    expect(withTxs[0].timeMs - Date.parse(before.header.time)).toBeLessThanOrEqual(interval + 1000);
    // Nothing left waiting: the next (empty) block keeps the idle pace again.
    await chain.waitForHeight(last.height + 1, 20_000);
    const next = blocks.find((b) => b.height === last.height + 1);
    expect(next?.timeMs).toBeGreaterThanOrEqual(last.timeMs + interval);
  });
});

/** Three test keys and the driver's (index 3), where the driver does not propose round 0 of height 1. */
function fourValidators(key: ValidatorKey): { validators: Validator[]; secretOf: Map<number, Uint8Array>; p0: number } {
  for (let attempt = 0; attempt < 100; attempt++) {
    const secrets = [0, 1, 2].map(() => generateSecretKey());
    const pubs = [...secrets.map((s) => publicKeyOf(s)), key.publicKey];
    const validators = pubs.map((pub) => ({ address: addressFromPublicKey(pub), pubkey: pub, power: 10 }));
    const ids = validators.map((v) => ({ id: toHex(v.address), power: v.power }));
    const schedule = new ProposerSchedule(initialPrioritySet(ids));
    const p0 = schedule.proposer(0);
    if (p0 !== 3) return { validators, secretOf: new Map(secrets.map((s, i) => [i, s])), p0 };
  }
  throw new Error("no key set where the driver does not propose round 0");
}

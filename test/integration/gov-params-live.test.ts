import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { ChainApp } from "../../node/chain-app.ts";
import { openChain } from "../../node/chain-open.ts";
import { DEFAULT_MEMPOOL_LIMITS, Mempool } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import { type Block, blockHash, type Commit } from "../../proto/block.ts";
import { type DuplicateVoteEvidence, PRECOMMIT, type SignedVote, voteSignBytes } from "../../proto/consensus.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import type { Genesis } from "../../state/genesis.ts";
import { getAccount } from "../../state/modules/bank/bank.ts";
import { currentParams } from "../../state/modules/gov/params-store.ts";
import { type ChainParams, DEFAULT_PARAMS } from "../../state/params.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import type { LatestState } from "../../state/store/latest-state.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * Issue 16: a parameter changed by governance takes effect everywhere from the block after the one that
 * executes it, not only in the state machine: mempool admission (minFee), the proposer's reap and a
 * checker's block limits (maxBlockTxs), and which evidence a block may carry (staking.maxEvidenceAgeBlocks).
 * A real ChainApp over LevelDB with its own mempool; blocks proposed and committed by hand (one validator).
 */

const CHAIN_ID = "opl-govlive-1";
const VOTING_BLOCKS = 2;
const GENESIS_PARAMS: ChainParams = {
  ...DEFAULT_PARAMS,
  gov: { ...DEFAULT_PARAMS.gov, minDeposit: ONE_OPEN, votingPeriodBlocks: VOTING_BLOCKS },
};

interface Node {
  app: ChainApp;
  mempool: Mempool;
  state: LatestState;
  close(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The one validator (its consensus key), its operator (who votes) and a funded user. */
const validator = new TestAccount();
const operator = new TestAccount();
const users = Array.from({ length: 4 }, () => new TestAccount());

function genesis(): Genesis {
  return {
    chainId: CHAIN_ID,
    genesisTimeMs: 1_700_000_000_000,
    params: GENESIS_PARAMS,
    validators: [
      {
        address: validator.address,
        pubkey: validator.publicKey,
        operator: operator.address,
        moniker: "v",
        selfStake: GENESIS_PARAMS.staking.minSelfStake,
      },
    ],
    accounts: [operator, ...users].map((a) => ({ address: a.address, balance: 1_000n * ONE_OPEN })),
  };
}

async function openNode(): Promise<Node> {
  const tmp = tempDir("opl-govlive-");
  const db = await ChainDb.open(tmp.dir);
  const g = genesis();
  const { state, info, validatorSets } = await openChain(db, g);
  const verifier = new TxVerifier(g.chainId);
  const mempool = new Mempool(DEFAULT_MEMPOOL_LIMITS, {
    chainId: g.chainId,
    params: g.params,
    verifier,
    account: (address) => getAccount(state, address),
    includedAt: async (hash) => (await db.getTx(hash, false))?.height,
  });
  const app = new ChainApp({ db, state, genesis: g, mempool, verifier, info, validatorSets, logger: pino({ level: "silent" }) });
  const node = {
    app,
    mempool,
    state,
    close: async () => {
      await db.close();
      tmp.cleanup();
    },
  };
  cleanups.push(node.close);
  return node;
}

function precommit(height: number, hash: Uint8Array, timeMs: number): SignedVote {
  const validatorAddress = validator.address;
  const vote = { type: PRECOMMIT, height, round: 0, blockHash: hash, timeMs, validatorAddress } as const;
  return { vote, signature: validator.sign(voteSignBytes(CHAIN_ID, vote)) };
}

function commitFor(block: Block): Commit {
  const hash = blockHash(block.header);
  const { height, timeMs } = block.header;
  const sv = precommit(height, hash, timeMs);
  const signatures = [{ validatorAddress: validator.address, timeMs, signature: sv.signature }];
  return { height, round: 0, blockHash: hash, signatures };
}

function propose(node: Node, evidence: DuplicateVoteEvidence[] = []): Promise<Block> {
  const info = node.app.info();
  return node.app.propose({
    height: info.height + 1,
    timeMs: info.lastBlockTimeMs + 1000,
    proposer: validator.address,
    lastCommit: info.lastCommit,
    evidence,
  });
}

/** The next block on `node` (with whatever its mempool holds), committed there and on every follower. */
async function nextBlock(node: Node, followers: readonly Node[] = []): Promise<Block> {
  const block = await propose(node);
  const commit = commitFor(block);
  await node.app.commit(block, commit);
  for (const f of followers) await f.app.commit(block, commit);
  return block;
}

function signed(from: TestAccount, msg: TxMsg, fee = GENESIS_PARAMS.minFee): Uint8Array {
  const body = { chainId: CHAIN_ID, senderPubkey: from.publicKey, nonce: from.nonce++, fee, msg };
  return signTx(body, (m) => from.sign(m)).bytes;
}

/**
 * Submits a change of `key` to `value` (proposal 1 of a fresh chain), the operator votes yes with its validator's stake, and blocks are
 * made until the change has executed. Returns the height of the block that executed it.
 */
async function passChange(node: Node, key: string, value: string, followers: readonly Node[] = []): Promise<number> {
  const content = { kind: "params" as const, changes: [{ key, value }] };
  await node.mempool.add(signed(operator, { type: "submit_proposal", title: `set ${key}`, description: "", deposit: ONE_OPEN, content }));
  await nextBlock(node, followers);
  await node.mempool.add(signed(operator, { type: "vote", proposalId: 1, option: "yes", validators: [] }));
  await nextBlock(node, followers);
  const before = JSON.stringify(currentParams(node.state, GENESIS_PARAMS), (_, v) => (typeof v === "bigint" ? `${v}` : v));
  for (let i = 0; i < VOTING_BLOCKS + 2; i++) {
    await nextBlock(node, followers);
    const now = JSON.stringify(currentParams(node.state, GENESIS_PARAMS), (_, v) => (typeof v === "bigint" ? `${v}` : v));
    if (now !== before) return node.app.info().height;
  }
  throw new Error(`the change of ${key} did not execute`);
}

describe("governance-changed params take effect in the node", () => {
  afterEach(() => {
    for (const a of [operator, ...users]) a.nonce = 0;
  });

  it("a raised minFee refuses a tx paying the old one at admission, naming the new figure", async () => {
    const node = await openNode();
    const newFee = GENESIS_PARAMS.minFee * 5n;
    await passChange(node, "minFee", newFee.toString());
    const old = signed(users[0], { type: "transfer", to: users[1].address, amount: 1n });
    await expect(node.mempool.add(old)).rejects.toThrow(`fee ${GENESIS_PARAMS.minFee} is below the minimum fee ${newFee}`);
    users[0].nonce--;
    const paying = signed(users[0], { type: "transfer", to: users[1].address, amount: 1n }, newFee);
    await node.mempool.add(paying);
    expect(node.mempool.size).toBe(1);
  });

  it("a lowered maxBlockTxs bounds the next block built, and a block over it is refused by its count", async () => {
    const node = await openNode();
    const checker = await openNode();
    await passChange(node, "maxBlockTxs", "2", [checker]);
    for (const u of users) await node.mempool.add(signed(u, { type: "transfer", to: operator.address, amount: 1n }));
    const block = await propose(node);
    expect(block.txs).toHaveLength(2);
    expect(await checker.app.validate(block)).toEqual({ valid: true });
    // The same header with one tx more: refused for its count before anything else of the body is read.
    const third = signed(operator, { type: "transfer", to: users[0].address, amount: 1n });
    const verdict = await checker.app.validate({ ...block, txs: [...block.txs, third] });
    expect(verdict).toEqual({ valid: false, reason: `block ${block.header.height} invalid: 3 txs exceed the limit 2` });
  });

  it("a lowered evidence age leaves out evidence older than it", async () => {
    const node = await openNode();
    // The validator signs precommits for two blocks at one height: an equivocation (500 blocks to commit it).
    const [low, high] = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    const equivocation = (h: number) => ({ voteA: precommit(h, low, 5), voteB: precommit(h, high, 6) });
    const executedAt = await passChange(node, "staking.maxEvidenceAgeBlocks", "2");
    const next = executedAt + 1;
    expect(next - 1).toBeGreaterThan(2);
    expect((await propose(node, [equivocation(1)])).evidence).toEqual([]);
    expect((await propose(node, [equivocation(next - 2)])).evidence).toEqual([equivocation(next - 2)]);
  });
});

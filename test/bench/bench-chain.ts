import pino from "pino";
import { referenceVerify } from "./reference-verify.ts";
import { ChainApp } from "../../node/chain-app.ts";
import { openChain } from "../../node/chain-open.ts";
import { DEFAULT_MEMPOOL_LIMITS, Mempool } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import { type Block, blockHash, type Commit, decodeBlock, encodeBlock } from "../../proto/block.ts";
import { PRECOMMIT, voteSignBytes } from "../../proto/consensus.ts";
import { decodeTx, txSignBytes, type TxMsg } from "../../proto/tx.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import type { Genesis } from "../../state/genesis.ts";
import type { ChainParams } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { MSG_WORK, txWork, VERIFY_WORK, WORK_PER_KIB } from "../../state/work.ts";
import { getAccount } from "../../state/modules/bank/bank.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import type { LatestState } from "../../state/store/latest-state.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * What the benches that time a peer's check of a block (gov-msg-work, record-credit-work) share: a real
 * ChainApp over LevelDB in this process, the clock they measure with, the verify they measure in, and blocks
 * committed by a one-validator set.
 */

/**
 * CPU time this process used (ms, every thread: LevelDB's included). Other processes share this machine's two
 * cores: CPU time leaves out the time spent waiting for a core, which wall time does not.
 */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Single-core ed25519 verify time in ms (CPU time), measured now (the unit): the least of three short runs,
 * taken next to each block measured, since the machine's load moves between blocks.
 */
export function verifyMsEach(chainId: string): number {
  const a = new TestAccount();
  const msg = txSignBytes(chainId, new Uint8Array(120).fill(7));
  const sig = a.sign(msg);
  for (let i = 0; i < 200; i++) referenceVerify(msg, sig, a.publicKey);
  let least = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 3; r++) {
    const n = 500;
    const t0 = cpuMs();
    for (let i = 0; i < n; i++) referenceVerify(msg, sig, a.publicKey);
    least = Math.min(least, (cpuMs() - t0) / n);
  }
  return least;
}

export interface BenchNode {
  app: ChainApp;
  db: ChainDb;
  state: LatestState;
  mempool: Mempool;
  verifier: TxVerifier;
  /** Closes the database; `keep` keeps its directory (to open it again: a restart). */
  close(keep?: boolean): Promise<void>;
  tmp: { dir: string; cleanup: () => void };
}

/** A node of `genesis` over a new database (`tmp`), or (a restart) over the one in `tmp`. */
export async function openBenchNode(genesis: Genesis, tmp: { dir: string; cleanup: () => void }): Promise<BenchNode> {
  const db = await ChainDb.open(tmp.dir);
  const { state, info, validatorSets } = await openChain(db, genesis);
  const verifier = new TxVerifier(genesis.chainId);
  const limits = { ...DEFAULT_MEMPOOL_LIMITS, maxTxs: 1_000_000, maxBytes: 1 << 30, maxPerSender: 1_000 };
  const mempool = new Mempool(limits, {
    chainId: genesis.chainId,
    params: genesis.params,
    verifier,
    account: (address) => getAccount(state, address),
    includedAt: async () => undefined,
  });
  const logger = pino({ level: "silent" });
  const app = new ChainApp({ db, state, genesis, mempool, verifier, info, validatorSets, logger });
  const close = async (keep = false) => {
    await db.close();
    if (!keep) tmp.cleanup();
  };
  return { app, db, state, mempool, verifier, close, tmp };
}

/** The commit of `block` by `validator` alone (a set where its power commits). */
export function commitBy(validator: TestAccount, chainId: string, block: Block): Commit {
  const hash = blockHash(block.header);
  const { height, timeMs } = block.header;
  const validatorAddress = validator.address;
  const vote = { type: PRECOMMIT, height, round: 0, blockHash: hash, timeMs, validatorAddress } as const;
  const signature = validator.sign(voteSignBytes(chainId, vote));
  return { height, round: 0, blockHash: hash, signatures: [{ validatorAddress, timeMs, signature }] };
}

/** `msg` from `from` at its next nonce, signed. */
export function signedBy(chainId: string, from: TestAccount, msg: TxMsg, fee: bigint): Uint8Array {
  const body = { chainId, senderPubkey: from.publicKey, nonce: from.nonce++, fee, msg };
  return signTx(body, (m) => from.sign(m)).bytes;
}

export interface CheckedBlocksOptions {
  chainId: string;
  /** The one validator whose precommit commits every block. */
  validator: TestAccount;
  proposer: BenchNode;
  peers: BenchNode[];
  genesisTimeMs: number;
  /** Wait before each check until LevelDB's background work (of large setup blocks) is done. */
  quiet?: boolean;
  /** Throw unless every tx succeeded: a failed tx costs less, and would make the figure read low. */
  requireSuccess?: boolean;
}

/**
 * Blocks proposed by one node and checked by the others (`peers`) as blocks from the network whose signatures
 * they already verified: what a check times is decode, execution and roots, the part MSG_WORK prices (the
 * verify is VERIFY_WORK). Every node commits each block.
 */
export class CheckedBlocks {
  /** Replaceable: a bench restarts its peers to read cold state. */
  peers: BenchNode[];
  private readonly o: CheckedBlocksOptions;
  private timeMs: number;

  constructor(o: CheckedBlocksOptions) {
    this.o = o;
    this.peers = o.peers;
    this.timeMs = o.genesisTimeMs;
  }

  /** Each peer's check time of the block of `txs` (ms of CPU). Throws if a tx did not make the block. */
  async check(name: string, txs: Uint8Array[]): Promise<number[]> {
    const { proposer, validator, chainId } = this.o;
    for (let i = 0; i < txs.length; i += 500) {
      await Promise.all(txs.slice(i, i + 500).map((t) => proposer.mempool.add(t)));
    }
    const info = proposer.app.info();
    this.timeMs += 1000;
    const height = info.height + 1;
    const b = await proposer.app.propose({
      height,
      timeMs: this.timeMs,
      proposer: validator.address,
      lastCommit: info.lastCommit,
      evidence: [],
    });
    if (b.txs.length !== txs.length) throw new Error(`${name}: ${txs.length - b.txs.length} txs did not execute`);
    const commit = commitBy(validator, chainId, b);
    await proposer.app.commit(b, commit);
    const bytes = encodeBlock(b);
    const decoded = b.txs.map((t) => decodeTx(t));
    if (this.o.requireSuccess === true) {
      const results = await Promise.all(decoded.map((t) => proposer.db.getTx(t.hash)));
      const failed = results.filter((r) => r?.result.code !== 0);
      if (failed.length > 0) throw new Error(`${name}: ${failed.length} txs failed: ${failed[0]?.result.log ?? "not stored"}`);
    }
    const times: number[] = [];
    for (const peer of this.peers) {
      await peer.verifier.verifyAll(decoded.map((t) => decodeTx(t.bytes)));
      if (this.o.quiet === true) await quiet();
      const t0 = cpuMs();
      const verdict = await peer.app.validate(decodeBlock(bytes));
      times.push(cpuMs() - t0);
      if (!verdict.valid) throw new Error(`${name}: refused: ${verdict.reason}`);
      await peer.app.commit(b, commit);
    }
    return times;
  }

  /**
   * The block of `txs` checked, then an empty block the same way, whose time (the block's fixed cost: roots,
   * begin and end of block) is taken off: the txs' own CPU ms, the least of the peers (the others are that
   * plus other processes' work), and the verify unit measured before and after (the less of the two).
   */
  async measure(name: string, txs: Uint8Array[]): Promise<{ leastMs: number; verifyMs: number }> {
    const before = verifyMsEach(this.o.chainId);
    const full = await this.check(name, txs);
    const empty = await this.check(`${name} (empty block after)`, []);
    const verifyMs = Math.min(before, verifyMsEach(this.o.chainId));
    let leastMs = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.peers.length; i++) leastMs = Math.min(leastMs, full[i] - empty[i]);
    return { leastMs, verifyMs };
  }
}

/**
 * Waits until this process is idle (under 5% of a core over 100 ms, at most 5 s): LevelDB's flushes and
 * compactions of earlier commits run on background threads, and CPU time would count them in the block
 * measured next.
 */
async function quiet(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const t0 = cpuMs();
    await new Promise((r) => setTimeout(r, 100));
    if (cpuMs() - t0 < 5) return;
  }
}

/**
 * A bench chain's genesis: validator 0 holds most of the power (its precommit alone commits every block), the
 * others one OPEN each; every validator's operator and every account in `funded` holds 10,000,000 OPEN.
 */
export function benchGenesis(
  chainId: string,
  params: ChainParams,
  validators: { validator: TestAccount; operator: TestAccount }[],
  funded: TestAccount[],
): Genesis {
  return {
    chainId,
    genesisTimeMs: 1_700_000_000_000,
    params,
    validators: validators.map(({ validator, operator }, i) => ({
      address: validator.address,
      pubkey: validator.publicKey,
      operator: operator.address,
      moniker: `v${i}`,
      selfStake: i === 0 ? 1_000_000n * ONE_OPEN : ONE_OPEN,
    })),
    accounts: [...validators.map((v) => v.operator), ...funded]
      .map((a) => ({ address: a.address, balance: 10_000_000n * ONE_OPEN })),
  };
}

/**
 * The block of `txs` measured (CheckedBlocks.measure) in work units a tx (state/work.ts: hundredths of a
 * verify), against what it was charged for its execution (the verify is VERIFY_WORK), with the message kind's
 * and the bytes' parts of that charge.
 */
export async function workOf(blocks: CheckedBlocks, name: string, txs: Uint8Array[]) {
  const { leastMs, verifyMs } = await blocks.measure(name, txs);
  const n = txs.length;
  const decoded = txs.map((t) => decodeTx(t));
  const charged = decoded.reduce((s, t) => s + txWork(t), 0) / n - VERIFY_WORK;
  const bytesWork = decoded.reduce((s, t) => s + Math.ceil((t.bytes.byteLength * WORK_PER_KIB) / 1024), 0) / n;
  return {
    block: name,
    txs: n,
    measuredExecWorkPerTx: Math.round((leastMs / n / verifyMs) * 100),
    chargedExecWorkPerTx: Math.round(charged),
    msgWork: MSG_WORK[decoded[0].body.msg.type],
    bytesWorkPerTx: Math.round(bytesWork),
  };
}

/**
 * A proposer and `runs` peers of `genesis`, each over a new database in a temp dir named `tmpPrefix`, whose
 * blocks `validator` commits; `close` closes and removes them all.
 */
export async function openCheckedBlocks(
  genesis: Genesis,
  validator: TestAccount,
  runs: number,
  tmpPrefix: string,
  opts: Pick<CheckedBlocksOptions, "quiet" | "requireSuccess"> = {},
): Promise<{ blocks: CheckedBlocks; proposer: BenchNode; close: () => Promise<void> }> {
  const open = () => openBenchNode(genesis, tempDir(tmpPrefix));
  const proposer = await open();
  const peers = await Promise.all(Array.from({ length: runs }, open));
  const blocks = new CheckedBlocks({
    chainId: genesis.chainId,
    validator,
    proposer,
    peers,
    genesisTimeMs: genesis.genesisTimeMs,
    ...opts,
  });
  const close = async () => {
    await proposer.close();
    for (const p of blocks.peers) await p.close();
  };
  return { blocks, proposer, close };
}

import pino from "pino";
import { referenceVerify } from "./reference-verify.ts";
import { ChainApp } from "../../node/chain-app.ts";
import { openChain } from "../../node/chain-open.ts";
import { DEFAULT_MEMPOOL_LIMITS, Mempool } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import { type Block, blockHash, type Commit } from "../../proto/block.ts";
import { PRECOMMIT, voteSignBytes } from "../../proto/consensus.ts";
import { txSignBytes, type TxMsg } from "../../proto/tx.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import type { Genesis } from "../../state/genesis.ts";
import { getAccount } from "../../state/modules/bank/bank.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import type { LatestState } from "../../state/store/latest-state.ts";
import { TestAccount } from "../helpers/accounts.ts";

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

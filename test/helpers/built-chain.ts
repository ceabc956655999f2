import pino from "pino";
import { ChainApp } from "../../node/chain-app.ts";
import { openChain } from "../../node/chain-open.ts";
import { homePaths } from "../../node/config.ts";
import { readGenesisFile } from "../../node/genesis-file.ts";
import { DEFAULT_MEMPOOL_LIMITS, Mempool } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import { loadValidatorKey } from "../../node/validator-key.ts";
import { type Block, blockHash, type Commit } from "../../proto/block.ts";
import { PRECOMMIT, voteSignBytes } from "../../proto/consensus.ts";
import { getAccount } from "../../state/modules/bank/bank.ts";
import { ChainDb } from "../../state/store/chain-db.ts";

/** One block of the chain to build: the transactions (signed bytes) it takes from the mempool. */
export type BuiltBlock = Uint8Array[];

/** A single-validator home's chain, opened for building blocks without consensus (see buildChain). */
export interface ChainBuilder {
  app: ChainApp;
  /** The next block with these txs, proposed by the app, not committed. */
  propose(txs: BuiltBlock): Promise<Block>;
  /** The validator's commit for a block (its own precommit: +2/3 of a one-validator set). */
  commitFor(block: Block): Commit;
  /** Proposes and commits the next block. */
  next(txs: BuiltBlock): Promise<void>;
  close(): Promise<void>;
}

export async function openBuilder(home: string, startTimeMs = Date.now() - 3_600_000): Promise<ChainBuilder> {
  const paths = homePaths(home);
  const genesis = readGenesisFile(paths.genesis);
  const key = loadValidatorKey(paths.validatorKey);
  const db = await ChainDb.open(paths.chainDb);
  const { state, info, validatorSets } = await openChain(db, genesis);
  const verifier = new TxVerifier(genesis.chainId);
  const mempool = new Mempool(
    { ...DEFAULT_MEMPOOL_LIMITS, maxTxs: 1_000_000, maxBytes: 1 << 30, maxPerSender: 1_000_000 },
    {
      chainId: genesis.chainId,
      params: genesis.params,
      verifier,
      account: (address) => getAccount(state, address),
      includedAt: async () => undefined,
    },
  );
  const app = new ChainApp({ db, state, genesis, mempool, verifier, info, validatorSets, logger: pino({ level: "silent" }) });
  await db.setDurable(false); // one fsync at the end
  let timeMs = Math.max(startTimeMs, info.lastBlockTimeMs + 1);
  const propose = async (txs: BuiltBlock) => {
    for (const tx of txs) await mempool.add(tx);
    const { height, lastCommit } = { height: app.info().height + 1, lastCommit: app.info().lastCommit };
    return app.propose({ height, timeMs, proposer: key.address, lastCommit, evidence: [] });
  };
  const commitFor = (block: Block): Commit => {
    const { height, timeMs: t } = block.header;
    const hash = blockHash(block.header);
    const validatorAddress = key.address;
    const vote = { type: PRECOMMIT, height, round: 0, blockHash: hash, timeMs: t, validatorAddress } as const;
    const signature = key.sign(voteSignBytes(genesis.chainId, vote));
    return { height, round: 0, blockHash: hash, signatures: [{ validatorAddress, timeMs: t, signature }] };
  };
  return {
    app,
    propose,
    commitFor,
    next: async (txs) => {
      const block = await propose(txs);
      await app.commit(block, commitFor(block));
      timeMs += 10;
    },
    close: async () => {
      await db.setDurable(true);
      await db.close();
    },
  };
}

/**
 * Writes a chain into the chain.db of a single-validator home (made by initHome) without running consensus:
 * each block is proposed by the application (so it is valid in every way) and committed with the validator's
 * own precommit, as a decided block would be. Blocks come in thousands a second, where a live chain at its
 * shortest interval makes about a hundred: block sync tests need long chains fast. Returns the last height.
 */
export async function buildChain(home: string, blocks: Iterable<BuiltBlock>, startTimeMs?: number): Promise<number> {
  const builder = await openBuilder(home, startTimeMs);
  try {
    for (const txs of blocks) await builder.next(txs);
    return builder.app.info().height;
  } finally {
    await builder.close();
  }
}

import pino from "pino";
import { ChainApp } from "../../node/chain-app.ts";
import { openChain } from "../../node/chain-open.ts";
import { homePaths } from "../../node/config.ts";
import { readGenesisFile } from "../../node/genesis-file.ts";
import { DEFAULT_MEMPOOL_LIMITS, Mempool } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import { loadValidatorKey } from "../../node/validator-key.ts";
import { blockHash, type Commit } from "../../proto/block.ts";
import { PRECOMMIT, voteSignBytes } from "../../proto/consensus.ts";
import { getAccount } from "../../state/modules/bank.ts";
import { ChainDb } from "../../state/store/chain-db.ts";

/** One block of the chain to build: the transactions (signed bytes) it takes from the mempool. */
export type BuiltBlock = Uint8Array[];

/**
 * Writes a chain into the chain.db of a single-validator home (made by initHome) without running consensus:
 * each block is proposed by the application (so it is valid in every way) and committed with the validator's
 * own precommit, as a decided block would be. Blocks come in thousands a second, where a live chain at its
 * shortest interval makes about a hundred: block sync tests need long chains fast. Returns the last height.
 */
export async function buildChain(
  home: string,
  blocks: Iterable<BuiltBlock>,
  startTimeMs = Date.now() - 3_600_000,
): Promise<number> {
  const paths = homePaths(home);
  const genesis = readGenesisFile(paths.genesis);
  const key = loadValidatorKey(paths.validatorKey);
  const db = await ChainDb.open(paths.chainDb);
  try {
    const { state, info } = await openChain(db, genesis);
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
    const app = new ChainApp({ db, state, genesis, mempool, verifier, info, logger: pino({ level: "silent" }) });
    await db.setDurable(false); // one fsync at the end
    let timeMs = Math.max(startTimeMs, info.lastBlockTimeMs + 1);
    let lastCommit = info.lastCommit;
    for (const txs of blocks) {
      for (const tx of txs) await mempool.add(tx);
      const height = app.info().height + 1;
      const block = await app.propose({ height, timeMs, proposer: key.address, lastCommit, evidence: [] });
      const hash = blockHash(block.header);
      const validatorAddress = key.address;
      const vote = { type: PRECOMMIT, height, round: 0, blockHash: hash, timeMs, validatorAddress } as const;
      const signature = key.sign(voteSignBytes(genesis.chainId, vote));
      const commit: Commit = {
        height,
        round: 0,
        blockHash: hash,
        signatures: [{ validatorAddress: key.address, timeMs, signature }],
      };
      await app.commit(block, commit);
      lastCommit = commit;
      timeMs += 10;
    }
    await db.setDurable(true);
    return app.info().height;
  } finally {
    await db.close();
  }
}

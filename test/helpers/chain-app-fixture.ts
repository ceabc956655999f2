import pino from "pino";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { generateSecretKey, publicKeyOf } from "../../crypto/ed25519.ts";
import type { VerifyPool } from "../../crypto/verify-pool.ts";
import { ChainApp } from "../../node/chain-app.ts";
import { openChain } from "../../node/chain-open.ts";
import { DEFAULT_MEMPOOL_LIMITS, Mempool, type MempoolLimits } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import type { Genesis } from "../../state/genesis.ts";
import { getAccount } from "../../state/modules/bank/bank.ts";
import { type ChainParams, DEFAULT_PARAMS } from "../../state/params.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { TestAccount } from "./accounts.ts";
import { tempDir } from "./tmp.ts";

/** A one-validator genesis funding `accounts` (each with `balance`); the validator proposes every block. */
export function appGenesis(accounts: readonly TestAccount[], balance: bigint, params: ChainParams = DEFAULT_PARAMS) {
  const validatorPubkey = publicKeyOf(generateSecretKey());
  const validator = addressFromPublicKey(validatorPubkey);
  const operator = new TestAccount();
  const genesis: Genesis = {
    chainId: "opl-app-1",
    genesisTimeMs: 1_700_000_000_000,
    params,
    validators: [
      { address: validator, pubkey: validatorPubkey, operator: operator.address, moniker: "v", selfStake: params.staking.minSelfStake },
    ],
    accounts: [
      { address: operator.address, balance: params.staking.minSelfStake * 2n },
      ...accounts.map((a) => ({ address: a.address, balance })),
    ],
  };
  return { genesis, validator };
}

export interface AppFixture {
  app: ChainApp;
  mempool: Mempool;
  verifier: TxVerifier;
  genesis: Genesis;
  close(): Promise<void>;
}

/**
 * A ChainApp as a node runs it (real LevelDB in a temp dir, its own mempool and verifier), without consensus
 * or network: tests and benches call propose / validate / commit themselves.
 */
export async function openApp(
  genesis: Genesis,
  opts: { pool?: VerifyPool; limits?: Partial<MempoolLimits> } = {},
): Promise<AppFixture> {
  const tmp = tempDir("opl-app-");
  const db = await ChainDb.open(tmp.dir);
  const { state, info, validatorSets } = await openChain(db, genesis);
  const verifier = new TxVerifier(genesis.chainId, { pool: opts.pool });
  const mempool = new Mempool(
    { ...DEFAULT_MEMPOOL_LIMITS, ...opts.limits },
    {
      chainId: genesis.chainId,
      params: genesis.params,
      verifier,
      account: (address) => getAccount(state, address),
      includedAt: async (hash) => (await db.getTx(hash, false))?.height,
    },
  );
  const app = new ChainApp({ db, state, genesis, mempool, verifier, info, validatorSets, logger: pino({ level: "silent" }) });
  return {
    app,
    mempool,
    verifier,
    genesis,
    close: async () => {
      await db.close();
      tmp.cleanup();
    },
  };
}

/** The proposal request for the first block (no last commit yet). */
export function firstBlockRequest(genesis: Genesis, proposer: Uint8Array) {
  return { height: 1, timeMs: genesis.genesisTimeMs + 1000, proposer, lastCommit: undefined, evidence: [] };
}

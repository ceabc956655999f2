import type { ChainInfo } from "../consensus/application.ts";
import { equalBytes, toHex } from "../crypto/bytes.ts";
import { type Genesis, genesisWrites } from "../state/genesis.ts";
import type { ChainDb } from "../state/store/chain-db.ts";
import { LatestState } from "../state/store/latest-state.ts";
import { genesisIdentity } from "./genesis-file.ts";

export class ChainMismatchError extends Error {
  override name = "ChainMismatchError";
}

/**
 * Opens the chain in `db`: writes genesis the first time, otherwise checks the database belongs to this
 * genesis, loads the latest state and checks its root against the latest header (a mismatch means the
 * database is damaged, and the node must not sign on top of it).
 */
export async function openChain(
  db: ChainDb,
  genesis: Genesis,
): Promise<{ state: LatestState; info: ChainInfo }> {
  const identity = genesisIdentity(genesis);
  const stored = await db.chainIdentity();
  if (stored === undefined) {
    await db.writeGenesis(identity, genesisWrites(genesis));
  } else if (stored !== identity) {
    throw new ChainMismatchError(
      `this data directory belongs to chain ${stored}, but genesis.json describes ${identity}; ` +
      "use a fresh home directory for a different genesis",
    );
  }
  const height = (await db.latestHeight()) ?? 0;
  const state = await LatestState.load(db);
  if (height === 0) {
    return {
      state,
      info: {
        chainId: genesis.chainId,
        height: 0,
        lastBlockHash: new Uint8Array(0),
        lastBlockTimeMs: genesis.genesisTimeMs,
        lastCommit: undefined,
      },
    };
  }
  const [block, meta] = await Promise.all([db.getBlock(height), db.getBlockMeta(height)]);
  if (block === undefined || meta === undefined)
    throw new Error(`database is damaged: block ${height} is missing`);
  if (!equalBytes(state.rootHash, block.header.stateRoot)) {
    throw new Error(
      `database is damaged: state root ${toHex(state.rootHash)} does not match block ${height}'s ${toHex(block.header.stateRoot)}`,
    );
  }
  return {
    state,
    info: {
      chainId: genesis.chainId,
      height,
      lastBlockHash: meta.hash,
      lastBlockTimeMs: block.header.timeMs,
      lastCommit: meta.commit,
    },
  };
}

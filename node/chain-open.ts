import type { ChainInfo } from "../consensus/application.ts";
import { equalBytes, toHex } from "../crypto/bytes.ts";
import { blockHash } from "../proto/block.ts";
import { type Genesis, genesisWrites } from "../state/genesis.ts";
import { SparseMerkleTree, treePath, valueHash } from "../state/smt.ts";
import type { ChainDb } from "../state/store/chain-db.ts";
import { LatestState } from "../state/store/latest-state.ts";
import { genesisIdentity } from "./genesis-file.ts";

export class ChainMismatchError extends Error {
  override name = "ChainMismatchError";
}

export class DamagedDatabaseError extends Error {
  override name = "DamagedDatabaseError";
}

/** The state root genesis produces (what the state must hash to at height 0). */
function genesisRoot(genesis: Genesis): Uint8Array {
  const entries = genesisWrites(genesis).map((w) => ({
    path: treePath(w.key),
    valueHash: valueHash(w.value as Uint8Array),
  }));
  return SparseMerkleTree.fromEntries(entries).rootHash;
}

/**
 * Opens the chain in `db`: writes genesis into an empty database, otherwise checks the database belongs to
 * this genesis, loads the latest state and checks it against the latest header (or genesis at height 0):
 * state root, block hash, and the stored commit. Any mismatch means the database is damaged, and the node
 * must not sign on top of it, so it stops with an error naming what is wrong.
 */
export async function openChain(db: ChainDb, genesis: Genesis): Promise<{ state: LatestState; info: ChainInfo }> {
  const identity = genesisIdentity(genesis);
  const stored = await db.chainIdentity();
  if (stored === undefined) {
    if (!(await db.isEmpty())) {
      throw new DamagedDatabaseError(
        "the database holds data but no chain identity: it is damaged or was not made by opl; use a fresh home",
      );
    }
    await db.writeGenesis(identity, genesisWrites(genesis));
  } else if (stored !== identity) {
    throw new ChainMismatchError(
      `this data directory belongs to chain ${stored}, but genesis.json describes ${identity}; ` +
      "use a fresh home directory for a different genesis",
    );
  }
  const height = await db.latestHeight();
  if (height === undefined) throw new DamagedDatabaseError("the database has a chain identity but no latest height");
  const state = await LatestState.load(db);
  if (height === 0) {
    if (!equalBytes(state.rootHash, genesisRoot(genesis))) {
      throw new DamagedDatabaseError("at height 0 the state does not match genesis");
    }
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
  if (block === undefined || meta === undefined) throw new DamagedDatabaseError(`block ${height} is missing`);
  const hash = blockHash(block.header);
  if (!equalBytes(meta.hash, hash) || !equalBytes(meta.commit.blockHash, hash) || block.header.height !== height) {
    throw new DamagedDatabaseError(`block ${height} does not match its stored hash or commit`);
  }
  if (!equalBytes(state.rootHash, block.header.stateRoot)) {
    throw new DamagedDatabaseError(
      `state root ${toHex(state.rootHash)} does not match block ${height}'s ${toHex(block.header.stateRoot)}`,
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

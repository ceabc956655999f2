import type { ChainInfo } from "../consensus/application.ts";
import { equalBytes, fromHex, toHex } from "../crypto/bytes.ts";
import { blockHash } from "../proto/block.ts";
import { type Genesis, genesisWrites } from "../state/genesis.ts";
import { SparseMerkleTree, treePath, valueHash } from "../state/smt.ts";
import { BLOCK_STORE_REPAIR, type ChainDb } from "../state/store/chain-db.ts";
import { LatestState } from "../state/store/latest-state.ts";
import { NodeReader } from "../state/tree/node-reader.ts";
import { VersionedTree } from "../state/tree/versioned-tree.ts";
import { VALIDATOR_SETS_PREFIX } from "../state/modules/staking/keys.ts";
import { genesisIdentity } from "./genesis-file.ts";
import { ValidatorSets } from "./validator-sets.ts";
import { checkValidatorSets, LATEST_SET_KEY } from "./validator-set-check.ts";
import { type Progress, writeStreamedGenesis } from "./genesis-accounts.ts";

/** Local value: "<genesis sourceDigest> <identity>", the identity recorded for those genesis bytes. */
const GENESIS_SOURCE = "genesis-source";

/**
 * The layout of the state's keys and records this build reads and writes (docs/module-state.md), recorded
 * when a chain's genesis is written (local value "state-format"; none before format 2). A change that would
 * make an existing database read wrongly takes a new number, and a database of another is refused at open
 * rather than failing at the first record it misreads. 2 (2026-12-07): unbonding groups (stk/unbg/) in place
 * of the per-validator index (stk/unbv/), whose entries a format-1 state's completions would find missing.
 */
export const STATE_FORMAT = 2;
const STATE_FORMAT_KEY = "state-format";

/**
 * The root a streamed genesis was written with: recorded at the first open (right after writing it), so a
 * restart at height 0 checks the state against it without reading the accounts file again.
 */
async function streamedGenesisRoot(db: ChainDb, state: LatestState): Promise<Uint8Array> {
  const recorded = await db.getLocal("genesis-root");
  if (recorded !== undefined) return fromHex(recorded) ?? new Uint8Array(0); // unreadable: refused as damage
  await db.putLocal("genesis-root", toHex(state.rootHash));
  return state.rootHash;
}

/**
 * Refuses a database whose state is in another format than this build's. At height 0 the format is recorded
 * if it is not yet: just after its genesis was written (or a chain of an earlier format that never left its
 * genesis, whose state no format change touched: genesis holds no unbondings).
 */
async function checkStateFormat(db: ChainDb, height: number): Promise<void> {
  const format = await db.getLocal(STATE_FORMAT_KEY);
  if (format === undefined && height === 0) {
    await db.putLocal(STATE_FORMAT_KEY, String(STATE_FORMAT));
    return;
  }
  if (format === String(STATE_FORMAT)) return;
  throw new ChainMismatchError(
    `this data directory's state is in format ${format ?? 1}, but this build reads format ${STATE_FORMAT} ` +
    "(docs/module-state.md says what changed); start the chain again from genesis in a fresh home, or run the " +
    "build that wrote it",
  );
}

export class ChainMismatchError extends Error {
  override name = "ChainMismatchError";
}

export class DamagedDatabaseError extends Error {
  override name = "DamagedDatabaseError";
}

/**
 * The database has fewer blocks than this node is known to have committed (a gap, or its end behind the
 * signer state or the WAL): LevelDB dropped committed data, e.g. replaying a damaged log file.
 */
export class BlockStoreLostBlocksError extends Error {
  override name = "BlockStoreLostBlocksError";
}

/** How far this node's own files (outside the database) show it got; checked against the database. */
export interface OwnProgress {
  /** The height of the last thing this validator signed (its signer state): it had committed up to one less. */
  signedHeight?: number;
  /** The height the consensus WAL belongs to: the node had committed up to one less. */
  walHeight?: number;
}

function lostBlocks(from: number, to: number, why: string): BlockStoreLostBlocksError {
  return new BlockStoreLostBlocksError(
    `the block store lost blocks ${from}..${to}: ${why}. LevelDB can drop records it cannot read (a damaged ` +
    "log file) without an error. Do not delete priv_validator_state.json (and .shadow) or cs.wal (they keep this validator " +
    `from signing twice). Stop the node and restore <home>/data/chain.db from a backup taken at height ${to} ` +
    "or later, or copy in the database of another node of this chain (stopped), or move chain.db away to let " +
    "the node sync the chain again from its peers, then start again.",
  );
}

/**
 * Refuses a database with a gap in its blocks, or (unless it holds no block yet) behind what this node's own
 * files show it committed.
 */
async function checkNoLostBlocks(db: ChainDb, height: number, own: OwnProgress): Promise<void> {
  const gap = await db.missingBlocks(height);
  if (gap !== undefined) {
    throw lostBlocks(gap[0], gap[1], `the database is at height ${height} but has no block ${gap[0]}..${gap[1]}`);
  }
  // No blocks at all: a database moved away to sync again (BLOCK_STORE_REPAIR), not one that lost blocks.
  // Safe with the signer state kept: the guard refuses anything at or below what it signed.
  if (height === 0) return;
  const signed = (own.signedHeight ?? 0) - 1;
  const wal = (own.walHeight ?? 0) - 1;
  if (Math.max(signed, wal) > height) {
    const by =
      signed >= wal
        ? `this validator's signer state shows it signed at height ${signed + 1}, so it had committed up to ${signed}`
        : `the consensus WAL is for height ${wal + 1}, so the node had committed up to ${wal}`;
    throw lostBlocks(height + 1, Math.max(signed, wal), `${by}, but the database ends at height ${height}`);
  }
}

/** The state root genesis produces (what the state must hash to at height 0). */
function genesisRoot(genesis: Genesis): Uint8Array {
  const entries = genesisWrites(genesis).map((w) => ({
    path: treePath(w.key),
    valueHash: valueHash(w.value as Uint8Array),
  }));
  return SparseMerkleTree.fromEntries(entries).rootHash;
}

/** The state tree's records of genesis (height 0), written in genesis's batch. */
function genesisTreeOps(db: ChainDb, writes: ReturnType<typeof genesisWrites>) {
  const updates = writes.map((w) => ({ path: treePath(w.key), valueHash: valueHash(w.value as Uint8Array) }));
  return new VersionedTree(new NodeReader(db.treeStore()), -1, null).candidate(updates, [], 0).ops();
}

/**
 * Opens the chain in `db`: writes genesis into an empty database, otherwise checks the database belongs to
 * this genesis, loads the latest state and checks it against the latest header (or genesis at height 0):
 * state root, block hash, and the stored commit. Any mismatch means the database is damaged, and the node
 * must not sign on top of it, so it stops with an error naming what is wrong. Blocks missing below the latest,
 * or fewer blocks than `own` (the signer state, the WAL) shows this node committed, are lost blocks.
 */
export async function openChain(
  db: ChainDb,
  genesis: Genesis,
  own: OwnProgress = {},
  opts: {
    /** The state tree's hot-node cache bound in bytes (`[state] cache_bytes`; default DEFAULT_TREE_CACHE_BYTES). */
    treeCacheBytes?: number;
    /** The latest values' cache bound in bytes (`[state] value_cache_bytes`). */
    valueCacheBytes?: number;
    genesisProgress?: Progress;
    /** Aborted to stop a streamed genesis write between batches (StartStopped; the next start redoes it). */
    signal?: AbortSignal;
    /** Called when a streamed genesis's state tree starts to be built (after its accounts are written). */
    onGenesisTreeBuild?: () => void;
    /** Filled with how long start-up's phases took, in ms (logged at start-up; the state-size bench reads it). */
    phases?: Record<string, number>;
  } = {},
): Promise<{ state: LatestState; info: ChainInfo; validatorSets: ValidatorSets }> {
  const phase = (name: string, since: number) => {
    if (opts.phases !== undefined) opts.phases[name] = Math.round(performance.now() - since);
  };
  let since = performance.now();
  const stored = await db.chainIdentity();
  // The identity this database recorded for these very genesis bytes and parameters is not recomputed: a
  // genesis.json of a million accounts took 26 s to hash again at every start.
  const recorded = genesis.sourceDigest === undefined ? undefined : await db.getLocal(GENESIS_SOURCE);
  const known = stored !== undefined && recorded === `${genesis.sourceDigest} ${stored}`;
  const identity = known ? stored : genesisIdentity(genesis);
  phase("identityMs", since);
  if (stored === undefined) {
    // A streamed genesis stopped half-way (the process was stopped) is written again from the start.
    if (await db.genesisUnfinished()) await db.clear();
    if (!(await db.isEmpty())) {
      throw new DamagedDatabaseError(
        "the database holds data but no chain identity: it is damaged or was not made by opl; use a fresh home",
      );
    }
    // A streamed genesis writes its values only: its tree is built from them once, when the state first loads.
    if (genesis.accountsFile !== undefined) {
      await writeStreamedGenesis(db, genesis, identity, opts.genesisProgress, {
        signal: opts.signal,
        onTreeBuild: opts.onGenesisTreeBuild,
      });
    } else {
      const writes = genesisWrites(genesis);
      await db.writeGenesis(identity, writes, genesisTreeOps(db, writes));
    }
    phase("genesisWriteMs", since); // includes the identity
  } else if (stored !== identity) {
    throw new ChainMismatchError(
      `this data directory belongs to chain ${stored}, but genesis.json describes ${identity}; ` +
      "use a fresh home directory for a different genesis",
    );
  }
  if (!known && genesis.sourceDigest !== undefined) await db.putLocal(GENESIS_SOURCE, `${genesis.sourceDigest} ${identity}`);
  const height = await db.latestHeight();
  if (height === undefined) throw new DamagedDatabaseError("the database has a chain identity but no latest height");
  await checkStateFormat(db, height);
  since = performance.now();
  await checkNoLostBlocks(db, height, own);
  phase("blockCheckMs", since);
  since = performance.now();
  const { treeCacheBytes, valueCacheBytes } = opts;
  const state = await LatestState.load(db, { treeCacheBytes, valueCacheBytes });
  phase("stateLoadMs", since);
  // A prefix pass over the database, each value checked against the tree: not a pass over the whole state.
  since = performance.now();
  const validatorSets = ValidatorSets.fromState(await state.withPrefix(VALIDATOR_SETS_PREFIX));
  phase("validatorSetsMs", since);
  if (height === 0) {
    // A streamed genesis's root is the one it was written with (recorded then), not rebuilt from its file.
    const root = genesis.accountsFile === undefined ? genesisRoot(genesis) : await streamedGenesisRoot(db, state);
    if (!equalBytes(state.rootHash, root)) {
      throw new DamagedDatabaseError("at height 0 the state does not match genesis");
    }
    checkValidatorSets(validatorSets, state.get(LATEST_SET_KEY), undefined);
    return {
      state,
      validatorSets,
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
      `the state in the database (root ${toHex(state.rootHash)}) does not match block ${height}'s state root ` +
      `${toHex(block.header.stateRoot)}: a state value is damaged, and executing on it would fork the chain. ` +
      BLOCK_STORE_REPAIR,
    );
  }
  checkValidatorSets(validatorSets, state.get(LATEST_SET_KEY), block.header);
  return {
    state,
    validatorSets,
    info: {
      chainId: genesis.chainId,
      height,
      lastBlockHash: meta.hash,
      lastBlockTimeMs: block.header.timeMs,
      lastCommit: meta.commit,
    },
  };
}

/**
 * Damage in the node's database and the reads that detect it: a stored value LevelDB reports corrupt, or one
 * that does not decode, is a BlockStoreCorruptError naming what was read and what the operator can do.
 * Shared by the block store (state/store/block-store.ts) and ChainDb's state reads.
 */
import type { Level } from "level";

/**
 * What the block store holds is not what was written (a flipped bit on disk, a lost LevelDB record): the read
 * is refused rather than served. The message names the height or key and what to do.
 */
export class BlockStoreCorruptError extends Error {
  override name = "BlockStoreCorruptError";
}

/** What an operator can do about a damaged block store. */
export const BLOCK_STORE_REPAIR =
  "The database in <home>/data/chain.db is damaged: stop the node and restore <home>/data/chain.db from a " +
  "backup, or move <home>/data/chain.db (only that directory) away and start the node again: it syncs the " +
  "chain from its peers. Leave priv_validator_state.json and cs.wal in <home>/data: they keep a validator " +
  "from signing twice (it only follows until the chain passes what it signed).";

export function corrupt(what: string, why: string, cause?: unknown): BlockStoreCorruptError {
  return new BlockStoreCorruptError(`${what} in the block store is damaged: ${why}. ${BLOCK_STORE_REPAIR}`, { cause });
}

/**
 * Reads a stored value. LevelDB's own corruption errors (a bad table block, say) become a
 * BlockStoreCorruptError naming what was read.
 */
export async function readChecked(
  db: Level<Uint8Array, Uint8Array>,
  key: Uint8Array,
  what: string,
): Promise<Uint8Array | undefined> {
  try {
    return await db.get(key);
  } catch (err) {
    if ((err as { code?: string }).code === "LEVEL_CORRUPTION") throw corrupt(what, (err as Error).message, err);
    throw err;
  }
}

/** Decodes a stored record; bytes that do not decode are damage, named as such. */
export function decodedChecked<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw corrupt(what, `it does not decode (${(err as Error).message})`, err);
  }
}

import type { ChainDb } from "../store/chain-db.ts";
import { nodeRecordKey, rootRecordKey } from "./node-codec.ts";
import { decodeStaleRecord, STALE_ENTRIES_PER_RECORD, staleRecordKey } from "./stale-log.ts";

/** Heights of state history kept by default (`[state] keep_recent`); 0 keeps every height (an archive). */
export const DEFAULT_KEEP_RECENT = 100_000;
/** Root records deleted in one pruning batch (each is ~50 bytes: a batch stays small). */
export const ROOTS_PER_PRUNE_BATCH = STALE_ENTRIES_PER_RECORD;

/**
 * Deletes the state no retained height needs, in small batches, after commits and never inside one: with
 * `keepRecent` K and latest height L, heights below L - K are no longer served (the oldest retained height
 * is recorded first, so a reader gets PrunedHeightError, never a half-deleted height), then each stale-log
 * record of a height at or below it is consumed in one batch (the tree nodes that height replaced, the
 * history versions it superseded, and the record itself), then the old heights' root records.
 *
 * Why this is safe: a node replaced at height s is reachable only from roots below s; a history version
 * superseded at s is read only by heights below s. Both go once s <= the oldest retained height. Each batch
 * is atomic and the log record goes with what it names, so a crash between batches resumes where it stopped.
 */
export class StatePruner {
  private readonly db: ChainDb;
  readonly keepRecent: number;

  constructor(db: ChainDb, keepRecent = DEFAULT_KEEP_RECENT) {
    this.db = db;
    this.keepRecent = keepRecent;
  }

  /** The oldest height to retain at latest height `latest` (0: all). */
  targetFor(latest: number): number {
    return this.keepRecent === 0 ? 0 : Math.max(0, latest - this.keepRecent);
  }

  /** One bounded batch of pruning; true if more remains for `latest`. */
  async step(latest: number): Promise<boolean> {
    const target = this.targetFor(latest);
    if (target === 0) return false;
    await this.db.setOldestRetained(target);
    const [record] = await this.db.rawEntries(staleRecordKey(0, 0), staleRecordKey(target + 1, 0), 1);
    if (record !== undefined) {
      const [key, value] = record;
      const height = Number(new DataView(key.buffer, key.byteOffset + 1, 8).getBigUint64(0));
      const stale = decodeStaleRecord(value);
      const dels = stale.nodeKeys.map(nodeRecordKey);
      for (const stateKey of stale.stateKeys) dels.push(...(await this.db.supersededHistory(stateKey, height)));
      dels.push(key);
      await this.db.deleteKeys(dels);
      return true;
    }
    const roots = await this.db.rawEntries(rootRecordKey(0), rootRecordKey(target), ROOTS_PER_PRUNE_BATCH);
    if (roots.length > 0) {
      await this.db.deleteKeys(roots.map(([k]) => k));
      return true;
    }
    return false;
  }

  /** Prunes everything due at `latest`, batch after batch, yielding to the event loop between them. */
  async run(latest: number): Promise<void> {
    while (await this.step(latest)) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

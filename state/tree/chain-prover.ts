import { historyKey } from "../store/buckets.ts";
import type { ChainDb } from "../store/chain-db.ts";
import type { LatestState } from "../store/latest-state.ts";
import { NodeCache } from "./node-cache.ts";
import { NodeReader } from "./node-reader.ts";
import { StateProver } from "./proof.ts";

/**
 * The cache of tree nodes read for proofs below the latest height: kept apart from the hot-node cache, so
 * proof traffic at old heights costs its own disk reads rather than evicting what block execution reads.
 */
export const PAST_PROOF_CACHE_BYTES = 8 * 1024 * 1024;

/**
 * The node's prover: tree nodes through the latest state's reader (its hot-node cache), values from the
 * per-height history bucket (the one copy of past values: leaves hold only value hashes and the height that
 * wrote the value, whose history entry is read), heights from the
 * oldest retained to the latest committed.
 */
export function chainProver(db: ChainDb, state: LatestState): StateProver {
  const store = db.treeStore();
  return new StateProver({
    reader: state.treeReader,
    pastReader: new NodeReader(store, new NodeCache(PAST_PROOF_CACHE_BYTES)),
    valueWrittenAt: (key, height) => {
      const entry = store.get(historyKey(key, height));
      return entry?.[0] === 1 ? entry.subarray(1) : undefined;
    },
    latestHeight: () => state.version,
    oldestHeight: () => db.oldestRetained,
  });
}

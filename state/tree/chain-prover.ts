import { historyKey } from "../store/buckets.ts";
import type { ChainDb } from "../store/chain-db.ts";
import type { LatestState } from "../store/latest-state.ts";
import { PastNodeReader } from "./past-node-reader.ts";
import { type ProverSource, StateProver } from "./proof.ts";

/**
 * The cache of tree nodes read for proofs below the latest height (PastNodeCache: ~45,000 nodes): kept apart
 * from the hot-node cache, so proof traffic at old heights costs its own disk reads rather than evicting what
 * block execution reads (it reads the hot cache without marking anything used).
 */
export const PAST_PROOF_CACHE_BYTES = 8 * 1024 * 1024;

/**
 * The node's prover: tree nodes through the latest state's reader (its hot-node cache) at the latest height,
 * through PastNodeReader below it, values from the
 * per-height history bucket (the one copy of past values: leaves hold only value hashes and the height that
 * wrote the value, whose history entry is read), heights from the
 * oldest retained to the latest committed.
 */
export function chainProver(db: ChainDb, state: LatestState): StateProver {
  return new StateProver(chainProverSource(db, state));
}

/** Where the node's prover reads (a bench swaps one part of it). */
export function chainProverSource(db: ChainDb, state: LatestState): ProverSource {
  const store = db.treeStore();
  return {
    reader: state.treeReader,
    pastReader: new PastNodeReader(store, PAST_PROOF_CACHE_BYTES, state.treeReader.cache),
    valueWrittenAt: (key, height) => {
      const entry = store.get(historyKey(key, height));
      return entry?.[0] === 1 ? entry.subarray(1) : undefined;
    },
    latestHeight: () => state.version,
    oldestHeight: () => db.oldestRetained,
  };
}

import type { ChainDb } from "../store/chain-db.ts";
import type { LatestState } from "../store/latest-state.ts";
import { StateProver } from "./proof.ts";

/**
 * The node's prover: tree nodes through the latest state's reader (its hot-node cache), values from the
 * per-height history bucket (the one copy of past values: leaves hold only value hashes), heights from the
 * oldest retained to the latest committed.
 */
export function chainProver(db: ChainDb, state: LatestState): StateProver {
  return new StateProver({
    reader: state.treeReader,
    valueAt: (key, height) => db.getStateAt(key, height),
    latestHeight: () => state.version,
    oldestHeight: () => db.oldestRetained,
  });
}

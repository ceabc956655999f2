import type { StateReader } from "../view.ts";
import { getUpgradePlan, type UpgradePlan } from "../modules/gov/queries.ts";
import type { UpgradeBinary } from "./handler.ts";

/**
 * A passed upgrade reached its height on a binary that has no handler for it (and whose operator did not skip
 * it): the block at that height must not be executed, signed, voted for or committed. Not a TxError: nothing
 * is wrong with any transaction; the node stops (node/upgrade-halt.ts) until its binary is replaced.
 */
export class UpgradeHaltError extends Error {
  override name = "UpgradeHaltError";
  readonly plan: UpgradePlan;

  constructor(plan: UpgradePlan) {
    super(upgradeHaltMessage(plan));
    this.plan = plan;
  }
}

/** The operator's message, the same in the log, node_getStatus, opl status and the error. */
export function upgradeHaltMessage(plan: { name: string; height: number }): string {
  return `upgrade ${plan.name} is scheduled at height ${plan.height}; this binary does not have it`;
}

/**
 * The plan that stops this binary before the block at `height` (on the state after `height` - 1), or
 * undefined: a plan for exactly that height whose name has no handler here and whose height is not skipped.
 */
export function haltingPlan(view: StateReader, height: number, binary: UpgradeBinary): UpgradePlan | undefined {
  const plan = getUpgradePlan(view);
  if (plan === undefined || plan.height !== height) return undefined;
  if (binary.handlers.has(plan.name) || binary.skipHeights.has(height)) return undefined;
  return plan;
}

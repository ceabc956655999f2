/**
 * The node's side of a governance upgrade: whether this binary must halt before a height (a passed upgrade
 * it has no handler for, and its operator did not skip), the plan it halted for once it did, and the
 * pending upgrade as node_getStatus shows it. Reads the latest state; ChainApp answers through it.
 */
import { getUpgradePlan, type UpgradePlan } from "../state/modules/gov/queries.ts";
import { haltingPlan, UpgradeHaltError, upgradeHaltMessage } from "../state/upgrades/halt.ts";
import type { UpgradeBinary } from "../state/upgrades/handler.ts";
import { type UpgradeAction, upgradeAction } from "../state/upgrades/registry.ts";
import type { StateReader } from "../state/view.ts";

/** A pending upgrade as node_getStatus shows it. */
export type UpgradeStatus = UpgradePlan & (
  | { status: "scheduled"; action: UpgradeAction }
  | { status: "halted"; message: string }
);

export class UpgradeTracker {
  private readonly state: StateReader;
  private readonly upgrades: UpgradeBinary;
  /** The plan this node halted for (node/node.ts), shown by node_getStatus until the process exits. */
  private haltedFor: UpgradePlan | undefined;

  /** `state`: the latest state; `upgrades`: the handlers this binary carries and the heights it skips. */
  constructor(state: StateReader, upgrades: UpgradeBinary) {
    this.state = state;
    this.upgrades = upgrades;
  }

  /**
   * The passed upgrade this binary must halt before `height` for, or undefined: checked before a height
   * starts, so the node neither proposes, votes nor commits at it.
   */
  haltBefore(height: number): UpgradeHaltError | undefined {
    const plan = haltingPlan(this.state, height, this.upgrades);
    return plan === undefined ? undefined : new UpgradeHaltError(plan);
  }

  /** The node stopped for `plan`. */
  markHalted(plan: UpgradePlan): void {
    this.haltedFor = plan;
  }

  /**
   * node_getStatus's view of the pending upgrade: null without one; "halted" once this node stopped for it;
   * else "scheduled", with whether this binary applies it (handler), skips it, or will halt at its height.
   */
  status(): UpgradeStatus | null {
    if (this.haltedFor !== undefined) return { ...this.haltedFor, status: "halted", message: upgradeHaltMessage(this.haltedFor) };
    const plan = getUpgradePlan(this.state);
    if (plan === undefined) return null;
    return { ...plan, status: "scheduled", action: upgradeAction(this.upgrades, plan.name, plan.height) };
  }
}

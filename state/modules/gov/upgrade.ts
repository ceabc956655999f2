import { u64be } from "../../../crypto/bytes.ts";
import type { TxEvent } from "../../../proto/records.ts";
import type { BlockContext } from "../../block-context.ts";
import { MODULE_PREFIX } from "../../keys.ts";
import { NO_UPGRADES } from "../../upgrades/handler.ts";
import { UpgradeHaltError } from "../../upgrades/halt.ts";
import type { Overlay } from "../../view.ts";
import { event } from "../common.ts";
import { upgradeDoneKey } from "./keys.ts";
import { getUpgradePlan } from "./queries.ts";

/**
 * The start of the block at a passed upgrade's height, before any other module's hook or transaction (as
 * Cosmos's x/upgrade BeginBlocker):
 * - the operator skips it (ctx.upgrades.skipHeights, opl start --unsafe-skip-upgrades): the plan is cleared,
 *   nothing else changes;
 * - this binary has its handler: the handler migrates the state, the name is recorded as done at this height
 *   (gov/upgdone/) and the plan is cleared, so a replay or restart never runs it twice;
 * - neither: UpgradeHaltError. The node checks for this before it starts the height (node/upgrade-halt.ts),
 *   so it neither proposes nor votes; this throw keeps any other path (block sync, a test) from executing it.
 * One read in a block with no plan at its height.
 */
export function upgradeBeginBlock(view: Overlay, ctx: BlockContext): TxEvent[] {
  const plan = getUpgradePlan(view);
  if (plan === undefined || plan.height !== ctx.height) return [];
  const attrs = { name: plan.name, height: String(plan.height), proposal: String(plan.proposalId) };
  const binary = ctx.upgrades ?? NO_UPGRADES;
  if (binary.skipHeights.has(ctx.height)) {
    view.delete(MODULE_PREFIX.govUpgrade);
    return [event("upgrade_skipped", attrs)];
  }
  const handler = binary.handlers.get(plan.name);
  if (handler === undefined) throw new UpgradeHaltError(plan);
  const events = handler(view, ctx) ?? [];
  view.set(upgradeDoneKey(plan.name), u64be(ctx.height));
  view.delete(MODULE_PREFIX.govUpgrade);
  return [event("upgrade_applied", attrs), ...events];
}

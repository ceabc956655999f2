import type { TxEvent } from "../../proto/records.ts";
import type { BlockContext } from "../block-context.ts";
import type { Overlay } from "../view.ts";

/**
 * A software upgrade's state migration: runs once, at the start of the block at the upgrade's height, before
 * anything else in that block (state/modules/gov/upgrade.ts). Deterministic and pure like every transition:
 * every node that runs it must write the same bytes. May return events (logged with the block's).
 */
export type UpgradeHandler = (view: Overlay, ctx: BlockContext) => TxEvent[] | void;

/**
 * What this binary knows of upgrades: the handlers it carries (by upgrade name), and the heights whose upgrade
 * the operator chose to skip (opl start --unsafe-skip-upgrades). Both are the node's, not the chain's: nodes
 * that disagree on them compute different states at an upgrade's height, so every operator must make the
 * same choice (as with Cosmos's x/upgrade).
 */
export interface UpgradeBinary {
  readonly handlers: ReadonlyMap<string, UpgradeHandler>;
  /** The names among `handlers` that are the test-only marker (OPL_TEST_UPGRADE_HANDLERS), not real migrations. */
  readonly testHandlers?: ReadonlySet<string>;
  readonly skipHeights: ReadonlySet<number>;
}

/** A binary with no handler and no skipped height: reaching any upgrade's height halts it. */
export const NO_UPGRADES: UpgradeBinary = { handlers: new Map(), skipHeights: new Set() };

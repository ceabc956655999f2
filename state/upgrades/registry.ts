import { sha256 } from "../../crypto/hash.ts";
import { readU64be, u64be, utf8 } from "../../crypto/bytes.ts";
import { MODULE_PREFIX, stateKey } from "../keys.ts";
import type { StateReader } from "../view.ts";
import type { UpgradeBinary, UpgradeHandler } from "./handler.ts";

/**
 * The upgrade handlers compiled into this binary, by upgrade name. A release that implements upgrade NAME
 * adds one line here (NAME -> its migration); a passed proposal for a name this map lacks halts the node at
 * the upgrade's height. This release carries none.
 */
export const UPGRADE_HANDLERS: ReadonlyMap<string, UpgradeHandler> = new Map<string, UpgradeHandler>([]);

/**
 * The environment variable that registers the test-only marker handler under the names it lists (comma
 * separated), so the end-to-end tests can run "the new binary" without a second build. Never set it on a
 * real network: it changes what the node computes at those upgrades' heights.
 */
export const TEST_UPGRADE_HANDLERS_ENV = "OPL_TEST_UPGRADE_HANDLERS";

export const testMarkerKey = (name: string): Uint8Array =>
  stateKey(MODULE_PREFIX.upgradeTestMarker, sha256(utf8(name)));

/**
 * The test-only handler: counts its runs for `name` in upg/test/<sha256(name)>, a visible, deterministic
 * migration. A count of 1 after the upgrade's height shows it ran, and ran once (a replay or restart that ran
 * it again would make 2).
 */
export function testMarkerHandler(name: string): UpgradeHandler {
  return (view) => {
    const key = testMarkerKey(name);
    view.set(key, u64be(testMarkerRuns(view, name) + 1));
  };
}

/** How many times the test marker handler of `name` ran (0: never). */
export function testMarkerRuns(view: StateReader, name: string): number {
  const raw = view.get(testMarkerKey(name));
  return raw === undefined ? 0 : readU64be(raw);
}

/**
 * What this binary knows of upgrades: UPGRADE_HANDLERS, plus the marker handler for each of `testHandlers`,
 * and the heights to skip. A test name that shadows a compiled-in handler is refused: the test switch must
 * never replace a real migration.
 */
export function upgradeBinary(
  opts: { testHandlers?: readonly string[]; skipHeights?: readonly number[] } = {},
): UpgradeBinary {
  const handlers = new Map(UPGRADE_HANDLERS);
  for (const name of opts.testHandlers ?? []) {
    if (handlers.has(name)) throw new Error(`${TEST_UPGRADE_HANDLERS_ENV}: ${name} is a real upgrade of this binary`);
    handlers.set(name, testMarkerHandler(name));
  }
  return { handlers, testHandlers: new Set(opts.testHandlers ?? []), skipHeights: new Set(opts.skipHeights ?? []) };
}

/**
 * What this binary does at upgrade `name`'s height (node_getStatus.upgrade.action): "apply" its handler,
 * "apply-test-marker" (the test-only marker handler OPL_TEST_UPGRADE_HANDLERS registered: not a real migration,
 * and a state no release computes), "skip" it (--unsafe-skip-upgrades), or "halt" before it.
 */
export type UpgradeAction = "apply" | "apply-test-marker" | "skip" | "halt";

export function upgradeAction(binary: UpgradeBinary, name: string, height: number): UpgradeAction {
  if (binary.skipHeights.has(height)) return "skip";
  if (binary.testHandlers?.has(name) === true) return "apply-test-marker";
  return binary.handlers.has(name) ? "apply" : "halt";
}

/**
 * The warning `opl start` logs when OPL_TEST_UPGRADE_HANDLERS is set: the switch silently changes what the
 * chain computes at those upgrades' heights, so it must never go unnoticed (undefined: not set).
 */
export function testUpgradeHandlersWarning(binary: UpgradeBinary): string | undefined {
  const names = [...(binary.testHandlers ?? [])];
  if (names.length === 0) return undefined;
  return (
    `${TEST_UPGRADE_HANDLERS_ENV} is set: the TEST-ONLY marker handler is registered for upgrade(s) ${names.join(", ")}; ` +
    "at their heights this node writes test markers instead of a real migration (a state no release computes). " +
    "Never set it on a real network"
  );
}

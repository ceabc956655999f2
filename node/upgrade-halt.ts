import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { UpgradePlan } from "../state/modules/gov/queries.ts";
import { upgradeHaltMessage } from "../state/upgrades/halt.ts";
import { TEST_UPGRADE_HANDLERS_ENV } from "../state/upgrades/registry.ts";
import { syncFileAndDir } from "./durable-file.ts";

/**
 * The node's side of a software upgrade it cannot run: what it leaves behind when it halts, and how it ends.
 *
 * `opl start` exits with UPGRADE_HALT_EXIT_CODE when it stops before a passed upgrade's height (at that height
 * while running, or at once when started again on the same state): not 0 (the node did not stop because it was
 * asked to) and not 1 (nothing failed), so a supervisor can tell "install the new binary" from a crash (e.g.
 * systemd's RestartPreventExitStatus=10 keeps it from restarting the old binary in a loop).
 */
export const UPGRADE_HALT_EXIT_CODE = 10;

/** <home>/data/upgrade-halt.json: the plan this home's node halted for (as Cosmos's data/upgrade-info.json). */
export function upgradeHaltPath(home: string): string {
  return join(home, "data", "upgrade-halt.json");
}

export interface UpgradeHaltRecord {
  name: string;
  height: number;
  proposalId: number;
  status: "halted";
  message: string;
}

export function upgradeHaltRecord(plan: UpgradePlan): UpgradeHaltRecord {
  return { name: plan.name, height: plan.height, proposalId: plan.proposalId, status: "halted", message: upgradeHaltMessage(plan) };
}

/**
 * Written (durably) when the node halts, so `opl status --home` of the stopped node says why it stopped, and a
 * supervisor can read which upgrade to install. Removed when a node of this home starts and has nothing to
 * halt for (the new binary, or the height skipped).
 */
export function writeUpgradeHalt(home: string, plan: UpgradePlan): void {
  const path = upgradeHaltPath(home);
  writeFileSync(path, `${JSON.stringify(upgradeHaltRecord(plan), null, 2)}\n`);
  syncFileAndDir(path);
}

export function readUpgradeHalt(home: string): UpgradeHaltRecord | undefined {
  const path = upgradeHaltPath(home);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8")) as UpgradeHaltRecord;
}

export function clearUpgradeHalt(home: string): void {
  rmSync(upgradeHaltPath(home), { force: true });
}

/** The upgrade names OPL_TEST_UPGRADE_HANDLERS registers the test-only marker handler for ("a,b" -> [a, b]). */
export function testUpgradeHandlerNames(env: NodeJS.ProcessEnv): string[] {
  return (env[TEST_UPGRADE_HANDLERS_ENV] ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** Parses --unsafe-skip-upgrades "H[,H...]" into heights; throws with a readable message on anything else. */
export function parseSkipHeights(text: string): number[] {
  return text.split(",").map((part) => {
    const h = Number(part.trim());
    if (!/^\d+$/.test(part.trim()) || !Number.isSafeInteger(h) || h < 1)
      throw new Error(`--unsafe-skip-upgrades takes heights (positive integers) separated by commas, got "${part}"`);
    return h;
  });
}

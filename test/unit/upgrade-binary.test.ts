import { describe, expect, it } from "vitest";
import { parseSkipHeights, testUpgradeHandlerNames } from "../../node/upgrade-halt.ts";
import { testUpgradeHandlersWarning, upgradeAction, upgradeBinary } from "../../state/upgrades/registry.ts";

/** What `opl start` makes of --unsafe-skip-upgrades and OPL_TEST_UPGRADE_HANDLERS. */
describe("the binary's upgrades", () => {
  it("--unsafe-skip-upgrades takes heights separated by commas and refuses anything else", () => {
    expect(parseSkipHeights("120")).toEqual([120]);
    expect(parseSkipHeights("120, 300")).toEqual([120, 300]);
    for (const bad of ["", "0", "-5", "1.5", "12a", "1,,2"]) {
      expect(() => parseSkipHeights(bad), bad).toThrow("--unsafe-skip-upgrades takes heights");
    }
  });

  it("OPL_TEST_UPGRADE_HANDLERS names the test handlers; unset, there are none", () => {
    expect(testUpgradeHandlerNames({})).toEqual([]);
    expect(testUpgradeHandlerNames({ OPL_TEST_UPGRADE_HANDLERS: "v2, v3" })).toEqual(["v2", "v3"]);
    const binary = upgradeBinary({ testHandlers: ["v2"], skipHeights: [7] });
    expect([...binary.handlers.keys()]).toEqual(["v2"]);
    expect(binary.skipHeights.has(7)).toBe(true);
    expect(upgradeBinary().handlers.size).toBe(0); // this release implements no upgrade
  });

  it("a test marker handler is never mistaken for a real one: its own action, and a warning naming it", () => {
    const test = upgradeBinary({ testHandlers: ["v2", "v3"], skipHeights: [9] });
    expect(upgradeAction(test, "v2", 20)).toBe("apply-test-marker");
    expect(upgradeAction(test, "v4", 20)).toBe("halt");
    expect(upgradeAction(test, "v2", 9)).toBe("skip");
    expect(upgradeAction(upgradeBinary(), "v2", 20)).toBe("halt");
    const real = { handlers: new Map([["v5", () => {}]]), skipHeights: new Set<number>() };
    expect(upgradeAction(real, "v5", 20)).toBe("apply");
    expect(testUpgradeHandlersWarning(test)).toBe(
      "OPL_TEST_UPGRADE_HANDLERS is set: the TEST-ONLY marker handler is registered for upgrade(s) v2, v3; at their " +
      "heights this node writes test markers instead of a real migration (a state no release computes). Never set " +
      "it on a real network",
    );
    expect(testUpgradeHandlersWarning(upgradeBinary())).toBeUndefined();
  });
});

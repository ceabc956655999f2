import { describe, expect, it } from "vitest";
import { parseSkipHeights, testUpgradeHandlerNames } from "../../node/upgrade-halt.ts";
import { upgradeBinary } from "../../state/upgrades/registry.ts";

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
});

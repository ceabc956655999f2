import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { countResults, type VitestJsonReport } from "../../.ci/test-summary.ts";
import { NODE } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const VITEST = join(ROOT, "node_modules", "vitest", "vitest.mjs");
const SUMMARY = join(ROOT, ".ci", "test-summary.ts");

/**
 * .ci/run's closing "N passed, N failed" line, over a real vitest run of test/ci-fixtures/: a file that
 * throws at import, a failed beforeAll, a failed afterAll, a failed file-level afterAll and a failed test
 * are five failures (the line used to count only the failed test, so a file that threw at import printed
 * "0 failed").
 */
describe(".ci/run's failure count", () => {
  const tmp = tempDir("opl-ci-count-");
  afterAll(() => tmp.cleanup());
  const report = join(tmp.dir, "results.json");
  const run = spawnSync(NODE, [VITEST, "run", "--config", "test/ci-fixtures/vitest.config.ts"], {
    cwd: ROOT,
    env: { ...process.env, OPL_TEST_RESULTS: report },
    encoding: "utf8",
  });

  it("counts a file that throws at import and failed set-up and tear-down hooks, not only failed tests", () => {
    expect(run.status, "vitest exits with failure").toBe(1);
    const json = JSON.parse(readFileSync(report, "utf8")) as VitestJsonReport;
    expect(json.numFailedTests, "what the old line counted").toBe(1);
    const count = countResults(json, run.status ?? 1);
    expect({ passed: count.passed, failed: count.failed }).toEqual({ passed: 4, failed: 5 });
    expect(count.notes.join("\n")).toContain("throws-at-import.fixture.ts");
  });

  it("prints the count as .ci/run's closing line", () => {
    const summary = spawnSync(NODE, [SUMMARY, report, String(run.status)], { cwd: ROOT, encoding: "utf8" });
    expect(summary.stdout.trim().split("\n").at(-1)).toBe("4 passed, 5 failed");
    expect(summary.status, "failures make the summary exit non-zero").toBe(1);
  });

  it("counts a runner that failed outside every test (an unhandled error) as a failure", () => {
    const clean: VitestJsonReport = { numPassedTests: 3, numFailedTests: 0, numFailedTestSuites: 0, testResults: [] };
    expect(countResults(clean, 0).failed).toBe(0);
    const count = countResults(clean, 1);
    expect(count.failed).toBe(1);
    expect(count.notes.join("\n")).toContain("exited with status 1");
  });
});

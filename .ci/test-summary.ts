/**
 * The closing "N passed, N failed" line of .ci/run, from vitest's JSON report (vitest.config.ts writes it
 * when OPL_TEST_RESULTS names a file). Run as `node .ci/test-summary.ts <report.json> <vitest's exit status>`;
 * exits 1 when anything failed.
 *
 * Failed tests are not the only failures. A test file that throws at import has no test at all, and a
 * failed beforeAll skips its tests (a failed afterAll follows tests that passed): vitest reports those as
 * failed suites (files and describe blocks), apart from failed tests, so counting failed tests alone
 * printed "0 failed" for them. Here each failed suite that holds no failed test is one failure more (a
 * suite that holds a failed test fails because of it, and that test is counted already), and so is a file's
 * own error (a file-level hook) in a file that also holds a failed test. (A describe block's failed hook in a
 * block that also holds a failed test is the one case the report does not show apart; the count is then
 * one short, never zero.) And a runner that exited non-zero with nothing counted (an unhandled error outside
 * every test) is one failure: the line never says "0 failed" when the run failed.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";

/** The parts of vitest's JSON report read here. */
export interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  /** Failed files and describe blocks, whether a test in them failed or the suite itself did. */
  numFailedTestSuites: number;
  testResults: {
    name: string;
    status: string;
    /** The file's own first error (thrown at import, or by a file-level hook), "" if none. */
    message: string;
    assertionResults: { ancestorTitles: string[]; status: string }[];
  }[];
}

export interface TestCount {
  passed: number;
  failed: number;
  /** What failed outside any test, for people. */
  notes: string[];
}

export function countResults(report: VitestJsonReport, exitStatus: number): TestCount {
  const notes: string[] = [];
  // The suites that hold a failed test: its file and each describe block around it.
  const holdingFailedTest = new Set<string>();
  let ownErrorsBesideFailedTests = 0;
  for (const file of report.testResults) {
    for (const test of file.assertionResults) {
      if (test.status !== "failed") continue;
      holdingFailedTest.add(file.name);
      for (let depth = 1; depth <= test.ancestorTitles.length; depth++) {
        holdingFailedTest.add(JSON.stringify([file.name, ...test.ancestorTitles.slice(0, depth)]));
      }
    }
    const where = relative(process.cwd(), file.name);
    if (file.status === "failed" && !holdingFailedTest.has(file.name)) {
      notes.push(`${where} failed outside its tests: ${file.message || "a hook failed"}`);
    } else if (file.message !== "" && holdingFailedTest.has(file.name)) {
      ownErrorsBesideFailedTests++;
      notes.push(`${where} also failed outside its tests: ${file.message}`);
    }
  }
  const failedSuitesAlone = Math.max(0, report.numFailedTestSuites - holdingFailedTest.size);
  if (failedSuitesAlone > 0) {
    notes.push(`${failedSuitesAlone} test file(s) or describe block(s) failed at import or in a set-up/tear-down hook`);
  }
  let failed = report.numFailedTests + failedSuitesAlone + ownErrorsBesideFailedTests;
  if (failed === 0 && exitStatus !== 0) {
    notes.push(`vitest exited with status ${exitStatus} though no test failed (an error outside the tests: see above)`);
    failed = 1;
  }
  return { passed: report.numPassedTests, failed, notes };
}

if (import.meta.main) {
  const [reportPath, status] = process.argv.slice(2);
  const report = JSON.parse(readFileSync(reportPath, "utf8")) as VitestJsonReport;
  const count = countResults(report, Number(status ?? "0"));
  for (const note of count.notes) console.log(note);
  console.log(`${count.passed} passed, ${count.failed} failed`);
  process.exitCode = count.failed > 0 ? 1 : 0;
}

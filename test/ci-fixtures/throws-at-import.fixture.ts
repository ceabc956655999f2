import { expect, it } from "vitest";

// A test file that fails before any of its tests runs: .ci/run must count it as a failure.
it("never runs: its file throws at import", () => {
  expect(true).toBe(true);
});

throw new Error("this fixture throws at import, on purpose");

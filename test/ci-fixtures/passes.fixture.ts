import { describe, expect, it } from "vitest";

/*
 * The files in test/ci-fixtures/ are not tests of the node: they are the input of
 * test/integration/ci-failure-count.test.ts, which runs vitest on them and asserts the "N passed, N failed"
 * line .ci/run prints. Their passing tests must pass whatever the code does (that is what they stand for),
 * their failures fail on purpose; `npm test` never collects them (*.fixture.ts).
 */

describe("a file where everything passes", () => {
  it("one", () => {
    expect(1).toBe(1);
  });
  it("two", () => {
    expect(2).toBe(2);
  });
});

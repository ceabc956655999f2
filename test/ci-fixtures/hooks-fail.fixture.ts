import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Set-up and tear-down hooks that fail while every test that ran passed: each must count as a failure.
describe("a set-up hook that fails", () => {
  beforeAll(() => {
    throw new Error("this fixture's beforeAll fails, on purpose");
  });
  it("is skipped by the failed set-up", () => {
    expect(true).toBe(true);
  });
});

describe("a tear-down hook that fails", () => {
  afterAll(() => {
    throw new Error("this fixture's afterAll fails, on purpose");
  });
  it("passes before the tear-down fails", () => {
    expect(true).toBe(true);
  });
});

// A file-level tear-down that fails in a file that also has a failed test: one failure more.
afterAll(() => {
  throw new Error("this fixture's file-level afterAll fails, on purpose");
});

it("passes", () => {
  expect(1 + 1).toBe(2);
});

it("fails", () => {
  expect(1 + 1, "this fixture's test fails, on purpose").toBe(3);
});

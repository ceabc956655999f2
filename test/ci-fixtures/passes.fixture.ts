import { describe, expect, it } from "vitest";

describe("a file where everything passes", () => {
  it("one", () => {
    expect(1).toBe(1);
  });
  it("two", () => {
    expect(2).toBe(2);
  });
});

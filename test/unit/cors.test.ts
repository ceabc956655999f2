import { describe, expect, it } from "vitest";
import { allowedOrigin, ORIGIN_PATTERN } from "../../rpc/cors.ts";

describe("allowedOrigin (rpc.cors_allowed_origins)", () => {
  it("allows nothing when the list is empty (the default)", () => {
    expect(allowedOrigin("https://app.example", [])).toBeUndefined();
    expect(allowedOrigin(undefined, [])).toBeUndefined();
  });

  it("allows a listed origin exactly as the browser sends it, and nothing like it", () => {
    const list = ["https://app.example", "http://localhost:5173"];
    expect(allowedOrigin("https://app.example", list)).toBe("https://app.example");
    expect(allowedOrigin("http://localhost:5173", list)).toBe("http://localhost:5173");
    expect(allowedOrigin("http://app.example", list)).toBeUndefined();
    expect(allowedOrigin("https://app.example.evil.example", list)).toBeUndefined();
    expect(allowedOrigin("https://app.example:444", list)).toBeUndefined();
    expect(allowedOrigin("null", list)).toBeUndefined();
    expect(allowedOrigin(undefined, list)).toBeUndefined();
  });

  it("answers \"*\" to any origin when \"*\" is listed", () => {
    expect(allowedOrigin("https://anyone.example", ["*"])).toBe("*");
    expect(allowedOrigin(undefined, ["*"])).toBe("*");
  });

  it("takes origins and \"*\" in the config, not URLs with a path", () => {
    for (const ok of ["*", "https://app.example", "http://127.0.0.1:8080"]) expect(ORIGIN_PATTERN.test(ok), ok).toBe(true);
    for (const bad of ["https://app.example/", "app.example", "https://a.example/x", "ftp://a.example", ""]) {
      expect(ORIGIN_PATTERN.test(bad), bad).toBe(false);
    }
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultConfig, parseConfig, readConfig, writeConfig } from "../../node/config.ts";
import { allowedOrigin } from "../../rpc/cors.ts";
import { tempDir } from "../helpers/tmp.ts";

/** Issue 17's settings: [rpc] cors_allowed_origins, [metrics] listen, [health] max_block_age_ms. */

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe("config.toml: CORS, metrics and health settings", () => {
  it("defaults to no CORS, metrics on the RPC port and a derived max block age", () => {
    const c = defaultConfig("n");
    expect(c.rpc.cors_allowed_origins).toEqual([]);
    expect(c.metrics.listen).toBe("");
    expect(c.health.max_block_age_ms).toBe(0);
  });

  it("writes them, commented, and reads back what it wrote", () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    const path = join(tmp.dir, "config.toml");
    const c = defaultConfig("n");
    c.rpc.cors_allowed_origins = ["https://app.example", "*"];
    c.metrics.listen = "127.0.0.1:26660";
    c.health.max_block_age_ms = 5000;
    writeConfig(path, c);
    expect(readFileSync(path, "utf8")).toContain("[metrics]");
    expect(readConfig(path)).toEqual(c);
  });

  it("lowercases the origins (browsers send scheme and host in lowercase), so a mixed-case entry matches", () => {
    const c = parseConfig("[rpc]\ncors_allowed_origins = [\"HTTPS://App.Example:8443\", \"*\"]\n", "c.toml");
    expect(c.rpc.cors_allowed_origins).toEqual(["https://app.example:8443", "*"]);
    expect(allowedOrigin("https://app.example:8443", c.rpc.cors_allowed_origins)).toBe("*");
    const one = parseConfig("[rpc]\ncors_allowed_origins = [\"https://App.Example\"]\n", "c.toml");
    expect(allowedOrigin("https://app.example", one.rpc.cors_allowed_origins)).toBe("https://app.example");
  });

  it("refuses an origin with a path, and a listen address without a port, saying where", () => {
    expect(() => parseConfig("[rpc]\ncors_allowed_origins = [\"https://app.example/\"]\n", "c.toml"))
      .toThrow(/c\.toml: rpc\.cors_allowed_origins\.0: must be "\*" or an origin/);
    expect(() => parseConfig("[metrics]\nlisten = \"localhost\"\n", "c.toml")).toThrow(/metrics\.listen/);
  });
});

import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { collectOutput, NODE, OPL } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * bin/opl.js turns on Node.js's module compile cache before it loads the command line: a command started
 * again takes its files stripped and compiled from the cache (about half of its start-up). What an operator
 * can check: the cache directory fills, NODE_COMPILE_CACHE says where, NODE_DISABLE_COMPILE_CACHE=1 turns
 * it off, and the command works either way.
 */
let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return []; // never created
  }
}

function opl(args: string[], env: Record<string, string>) {
  const inherited = { ...process.env };
  delete inherited.NODE_COMPILE_CACHE; // each test says where, or not
  const child = spawn(NODE, [OPL, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...inherited, ...env } });
  return collectOutput(child, `opl ${args.join(" ")}`, 30_000);
}

describe("the opl launcher's compile cache", () => {
  it("fills the directory NODE_COMPILE_CACHE names, and a second run answers the same from it", async () => {
    const t = tempDir("opl-compile-cache-");
    cleanup = t.cleanup;
    const dir = join(t.dir, "cache");
    const first = await opl(["version", "--json"], { NODE_COMPILE_CACHE: dir });
    expect(first.code).toBe(0);
    const cached = filesUnder(dir);
    expect(cached.length).toBeGreaterThan(10); // the command line's modules, .ts ones among them
    const second = await opl(["version", "--json"], { NODE_COMPILE_CACHE: dir });
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual(JSON.parse(first.stdout));
    expect(JSON.parse(second.stdout).node).toMatch(/^v24\./);
  });

  it("by default it is in the user's cache directory (XDG_CACHE_HOME), not under the shared temp directory", async () => {
    const t = tempDir("opl-compile-cache-xdg-");
    cleanup = t.cleanup;
    const run = await opl(["version"], { XDG_CACHE_HOME: t.dir });
    expect(run.code).toBe(0);
    expect(filesUnder(join(t.dir, "opl", "node-compile-cache")).length).toBeGreaterThan(10);
  });

  it("NODE_DISABLE_COMPILE_CACHE=1 turns it off: nothing is written, the command still works", async () => {
    const t = tempDir("opl-compile-cache-off-");
    cleanup = t.cleanup;
    const dir = join(t.dir, "cache");
    const run = await opl(["version", "--json"], { NODE_COMPILE_CACHE: dir, NODE_DISABLE_COMPILE_CACHE: "1" });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).opl).toMatch(/^\d+\.\d+\.\d+$/);
    expect(filesUnder(dir)).toEqual([]);
  });
});

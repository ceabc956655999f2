import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { collectOutput, NODE, OPL } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * How `opl` starts. bin/opl.js turns on Node.js's module compile cache before it loads the command line: a
 * command started again takes its files stripped and compiled from the cache (about half of its start-up).
 * What an operator can check: the cache directory fills, NODE_COMPILE_CACHE says where,
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off, and the command works either way. And the command line itself
 * loads only what its commands' options and help need: `opl --help` loaded LevelDB and the state tree (216
 * modules, 0.37 s with the cache) through the RPC error table, until that table stopped importing the
 * database for one error class (68 modules, 0.15 s).
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

function opl(args: string[], env: Record<string, string>, nodeArgs: string[] = []) {
  const inherited = { ...process.env };
  delete inherited.NODE_COMPILE_CACHE; // each test says where, or not
  const child = spawn(NODE, [...nodeArgs, OPL, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...inherited, ...env } });
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

/** A module hook that writes each module's URL to stderr as it loads (`--import` of this data: URL). */
const LOG_LOADS =
  "data:text/javascript," +
  encodeURIComponent(
    "import { registerHooks } from \"node:module\";" +
    "registerHooks({ load(url, context, next) { process.stderr.write(\"LOADED \" + url + \"\\n\"); return next(url, context); } });",
  );

describe("what the command line loads", () => {
  it("`opl --help` loads neither the database, the network nor the node", async () => {
    const run = await opl(["--help"], { NODE_DISABLE_COMPILE_CACHE: "1" }, ["--import", LOG_LOADS]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: opl");
    const loaded = run.stderr.split("\n").filter((l) => l.startsWith("LOADED "));
    expect(loaded.length).toBeGreaterThan(20); // the hook saw the command line load
    const HEAVY = /classic-level|abstract-level|libp2p|protobufjs|\/node\/node\.ts|\/state\/store\/chain-db\.ts/;
    const heavy = loaded.filter((l) => HEAVY.test(l));
    expect(heavy).toEqual([]);
  });
});

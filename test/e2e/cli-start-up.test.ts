import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync } from "node:fs";
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

/** Runs `opl version --json` in `cwd` with `env`; the compile cache's own debug lines are on stderr. */
async function versionIn(cwd: string, env: Record<string, string>) {
  const inherited = { ...process.env };
  for (const name of ["NODE_COMPILE_CACHE", "XDG_CACHE_HOME", "NODE_DISABLE_COMPILE_CACHE"]) delete inherited[name];
  const child = spawn(NODE, [OPL, "version", "--json"], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...inherited, NODE_DEBUG_NATIVE: "COMPILE_CACHE", ...env },
  });
  const run = await collectOutput(child, "opl version", 30_000);
  expect(run.code, run.stderr).toBe(0);
  expect(JSON.parse(run.stdout).node).toMatch(/^v24\./);
  return run;
}

/** Whether Node took bin/cli.ts, stripped, from the compile cache (its NODE_DEBUG_NATIVE=COMPILE_CACHE lines). */
const FROM_CACHE = /retrieving transpile cache for StrippedTypeScript \S*\/bin\/cli\.ts\.\.\.success/;
const cliFromCache = (stderr: string) => FROM_CACHE.test(stderr);

describe("the opl launcher's compile cache", () => {
  it("by default fills the user's cache directory, and a second run takes the command line from it", async () => {
    const t = tempDir("opl-compile-cache-xdg-");
    cleanup = t.cleanup;
    const first = await versionIn(t.dir, { XDG_CACHE_HOME: join(t.dir, "xdg") });
    expect(cliFromCache(first.stderr)).toBe(false);
    expect(filesUnder(join(t.dir, "xdg", "opl", "node-compile-cache")).length).toBeGreaterThan(10);
    const second = await versionIn(t.dir, { XDG_CACHE_HOME: join(t.dir, "xdg") });
    expect(cliFromCache(second.stderr)).toBe(true);
  });

  it("without XDG_CACHE_HOME it is ~/.cache/opl; NODE_COMPILE_CACHE names another place", async () => {
    const t = tempDir("opl-compile-cache-home-");
    cleanup = t.cleanup;
    await versionIn(t.dir, { HOME: join(t.dir, "home") });
    expect(filesUnder(join(t.dir, "home", ".cache", "opl", "node-compile-cache")).length).toBeGreaterThan(10);
    await versionIn(t.dir, { HOME: join(t.dir, "home"), NODE_COMPILE_CACHE: join(t.dir, "named") });
    expect(filesUnder(join(t.dir, "named")).length).toBeGreaterThan(10);
  });

  it("an empty HOME, a relative XDG_CACHE_HOME or a directory others can write to: no cache, nothing written", async () => {
    const t = tempDir("opl-compile-cache-none-");
    cleanup = t.cleanup;
    const shared = join(t.dir, "shared");
    mkdirSync(join(shared, "opl", "node-compile-cache"), { recursive: true });
    chmodSync(join(shared, "opl"), 0o777); // another user could swap what is under it
    const runs = [
      await versionIn(t.dir, { HOME: "" }),
      await versionIn(t.dir, { HOME: "", XDG_CACHE_HOME: "relative" }),
      await versionIn(t.dir, { XDG_CACHE_HOME: shared }),
    ];
    for (const run of runs) expect(cliFromCache(run.stderr)).toBe(false);
    expect(filesUnder(t.dir)).toEqual([]); // nothing in the working directory, nothing in the shared one
  });

  it("NODE_DISABLE_COMPILE_CACHE=1 turns it off: nothing is written, the command still works", async () => {
    const t = tempDir("opl-compile-cache-off-");
    cleanup = t.cleanup;
    await versionIn(t.dir, { XDG_CACHE_HOME: join(t.dir, "xdg"), NODE_DISABLE_COMPILE_CACHE: "1" });
    expect(filesUnder(t.dir)).toEqual([]);
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

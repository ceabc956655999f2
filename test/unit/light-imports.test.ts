import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The light client must run in a browser: every file in light/ may import only @noble/curves, @noble/hashes
 * and other files of light/, and uses no Node global (Buffer, process, require). This reads each file's
 * import and export-from lines (and any dynamic import or require) and lists every one that breaks that.
 */

const ROOT = join(import.meta.dirname, "..", "..");
const LIGHT = join(ROOT, "light");
const ALLOWED_PACKAGES = ["@noble/curves/", "@noble/hashes/"];

function lightFiles(dir = LIGHT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? lightFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []);
}

/** Every module specifier a file names: static imports and re-exports (one or many lines), import(), require(). */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gms,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\s*\(\s*["'`]([^"'`]*)["'`]/g,
    /\brequire\s*\(\s*["'`]([^"'`]*)["'`]/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) found.push(m[1]);
  return found;
}

/** Why `spec`, imported by `file`, is not allowed, or undefined if it is. */
function refusal(file: string, spec: string): string | undefined {
  if (spec.startsWith(".")) {
    const target = resolve(dirname(file), spec);
    if (relative(LIGHT, target).startsWith("..")) return `${spec} is outside light/`;
    return undefined;
  }
  if (ALLOWED_PACKAGES.some((p) => spec.startsWith(p))) return undefined;
  return `${spec} is neither @noble/curves, @noble/hashes nor a file of light/`;
}

const NODE_GLOBALS = /\b(?:Buffer|process|require|__dirname|__filename)\b/;

describe("light/ imports nothing but @noble/curves, @noble/hashes and its own files", () => {
  const files = lightFiles();

  it("finds the library's files and their imports", () => {
    expect(files.length).toBeGreaterThan(5);
    expect(specifiers(`import { a } from "./a.ts";\nexport {\n  b,\n} from "../b.ts";\nimport "x";\nawait import("y");`))
      .toEqual(["./a.ts", "../b.ts", "x", "y"]);
  });

  it.each(files.map((f) => [relative(ROOT, f), f]))("%s", (_name, file) => {
    const source = readFileSync(file, "utf8");
    const bad = specifiers(source).flatMap((s) => refusal(file, s) ?? []);
    expect(bad, `${relative(ROOT, file)} imports what a browser bundle cannot`).toEqual([]);
    // Comments may name Node things; code may not use them.
    const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    expect(code.match(NODE_GLOBALS)?.[0], `${relative(ROOT, file)} uses a Node global`).toBeUndefined();
  });

  it("type-checks with the browser's libraries and no Node types (light/tsconfig.browser.json)", () => {
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const run = spawnSync(process.execPath, [tsc, "-p", join(LIGHT, "tsconfig.browser.json")], { encoding: "utf8" });
    expect(run.stdout + run.stderr, "tsc's complaints").toBe("");
    expect(run.status).toBe(0);
  });

  it("a file that imports a Node module or a node file is refused", () => {
    const file = join(LIGHT, "x.ts");
    expect(refusal(file, "node:crypto")).toMatch(/neither/);
    expect(refusal(file, "../crypto/hash.ts")).toMatch(/outside light/);
    expect(refusal(file, "protobufjs")).toMatch(/neither/);
    expect(refusal(file, "./encoding.ts")).toBeUndefined();
    expect(refusal(file, "@noble/hashes/sha2.js")).toBeUndefined();
  });
});

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The specification (docs/*.md) names the code that implements each rule and the documents it builds on: every
 * repository path it names must exist, and it links nowhere outside the repository. So a file that moves (a
 * module into its own folder, say) cannot leave the spec pointing at nothing.
 */

const ROOT = join(import.meta.dirname, "..", "..");
const DOCS = join(ROOT, "docs");
const TOP = ["bin", "consensus", "crypto", "docs", "light", "node", "p2p", "proto", "rpc", "state", "test"];
const PATH = new RegExp(`(?<![\\w./-])((?:${TOP.join("|")})/[\\w./-]*\\.(?:ts|js|md|json|proto|toml))(?![\\w/-])`, "g");

describe("docs/: the specification's references", () => {
  const docs = readdirSync(DOCS).filter((f) => f.endsWith(".md"));

  it("docs/SPEC.md links every other document of docs/", () => {
    const spec = readFileSync(join(DOCS, "SPEC.md"), "utf8");
    for (const doc of docs.filter((d) => d !== "SPEC.md")) expect(spec, `SPEC.md names docs/${doc}`).toContain(`docs/${doc}`);
  });

  it.each(docs)("every path docs/%s names exists, and it links nothing outside the repository", (doc) => {
    const text = readFileSync(join(DOCS, doc), "utf8");
    const named = [...new Set([...text.matchAll(PATH)].map((m) => m[1]))];
    expect(named.length, `docs/${doc} names files of the repository`).toBeGreaterThan(0);
    expect(named.filter((p) => !existsSync(join(ROOT, p))), `paths docs/${doc} names that do not exist`).toEqual([]);
    expect(text.match(/\]\((?!#)[^)]*\)|https?:\/\//g) ?? [], `links of docs/${doc} outside the repository`).toEqual([]);
  });
});

describe("README.md: its references", () => {
  const text = readFileSync(join(ROOT, "README.md"), "utf8");

  it("every repository path it names exists", () => {
    const named = [...new Set([...text.matchAll(PATH)].map((m) => m[1]))];
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((p) => !existsSync(join(ROOT, p))), "paths README.md names that do not exist").toEqual([]);
  });

  it("every link points into the repository, at a file that exists", () => {
    const targets = [...text.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1]);
    expect(targets.filter((t) => t.startsWith("../") || t.startsWith("/")), "links outside the repository").toEqual([]);
    expect(text, "README.md names nothing outside the repository").not.toMatch(/\.\.\/shared\//);
    expect(targets.filter((t) => !/^https?:/.test(t) && !existsSync(join(ROOT, t))), "links to missing files").toEqual([]);
  });
});

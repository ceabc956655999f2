import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { RpcMethod } from "../../rpc/method.ts";
import { allMethods } from "../../rpc/methods/index.ts";
import { namespaceOf, rewriteMethodTables } from "../../rpc/readme-tables.ts";

/**
 * The README's JSON-RPC method tables are the declarations' (names, params, result keys, one-line summaries):
 * a method added, renamed or redescribed without `npm run docs:rpc` fails here.
 */
const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const methods = allMethods as readonly RpcMethod[];

/** The method names of the README's table rows between the markers. */
function tableMethodNames(text: string): string[] {
  const names: string[] = [];
  let inTable = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("<!-- rpc-methods:")) inTable = true;
    else if (line === "<!-- /rpc-methods -->") inTable = false;
    else if (inTable) {
      const name = /^\| `([A-Za-z_.]+)` \|/.exec(line)?.[1];
      if (name !== undefined) names.push(name);
    }
  }
  return names;
}

describe("the README's method tables", () => {
  it("are what the declarations make (run npm run docs:rpc after changing a method)", () => {
    const { text } = rewriteMethodTables(readme, methods);
    expect(text === readme, "README.md's method tables differ from the declarations: run npm run docs:rpc").toBe(true);
  });

  it("list every declared method exactly once", () => {
    const { namespaces } = rewriteMethodTables(readme, methods);
    for (const m of methods) expect(namespaces, `no table lists ${m.name}'s namespace`).toContain(namespaceOf(m.name));
    expect(tableMethodNames(readme).sort()).toEqual(methods.map((m) => m.name).sort());
  });

  it("a changed summary or a new method makes them differ (the check is not vacuous)", () => {
    const [first, ...rest] = methods;
    const redescribed = [{ ...first, description: "Something else entirely." }, ...rest];
    expect(rewriteMethodTables(readme, redescribed).text).not.toBe(readme);
    const added = [...methods, { ...first, name: "node_getSomethingNew" }];
    expect(tableMethodNames(rewriteMethodTables(readme, added).text)).toContain("node_getSomethingNew");
  });
});

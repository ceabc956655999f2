/**
 * npm run docs:rpc: rewrites the README's JSON-RPC method tables from the method declarations (between the
 * <!-- rpc-methods: ... --> markers; rpc/readme-tables.ts). test/unit/readme-method-tables.test.ts fails when
 * the README and the declarations disagree.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { RpcMethod } from "../rpc/method.ts";
import { allMethods } from "../rpc/methods/index.ts";
import { rewriteMethodTables } from "../rpc/readme-tables.ts";

const readme = fileURLToPath(new URL("../README.md", import.meta.url));
const before = readFileSync(readme, "utf8");
const { text } = rewriteMethodTables(before, allMethods as readonly RpcMethod[]);
if (text === before) {
  console.log("README.md: the method tables already match the declarations");
} else {
  writeFileSync(readme, text);
  console.log("README.md: method tables rewritten from the declarations");
}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { NODE_FLAGS, NODE_PROCESS_ENV } from "../../node/node-process-env.ts";

/**
 * A node process starts with NODE_PROCESS_ENV and NODE_FLAGS whoever starts it: `opl devnet` and the tests use
 * the constants, while bin/opl.js's shebang and package.json's `start` and `devnet` scripts can only repeat them
 * literally. This holds the copies to the constants.
 */
const root = join(import.meta.dirname, "../..");
const expected = [...Object.entries(NODE_PROCESS_ENV).map(([k, v]) => `${k}=${v}`), "node", ...NODE_FLAGS].join(" ");

it("bin/opl.js's shebang sets the same environment and Node.js flags", () => {
  const shebang = readFileSync(join(root, "bin/opl.js"), "utf8").split("\n")[0];
  expect(shebang).toBe(`#!/usr/bin/env -S ${expected}`);
});

it("npm start and npm run devnet start node with them too", () => {
  const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> })
    .scripts;
  for (const name of ["start", "devnet"]) expect(scripts[name].startsWith(`${expected} bin/opl.js `), name).toBe(true);
});

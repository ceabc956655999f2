#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=16
// @ts-check
// MALLOC_ARENA_MAX=2: fewer glibc malloc arenas, ~35 MB less peak RSS under load (node/node-process-env.ts).
// --max-semi-space-size=16 (MB): the young generation's bound, ~30 MB less peak RSS under load than 32 for
// about the same CPU (node/node-process-env.ts NODE_FLAGS); harmless for the short client commands.
import * as nodeModule from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/**
 * The `opl` command's launcher: turns on Node.js's module compile cache, then runs the command line
 * (bin/cli.ts). Node strips each .ts file's types when it loads it, which first loads its TypeScript
 * stripper (~100 ms) and then parses every file: about half of a command's start-up. With the cache, a
 * file whose contents did not change is taken from the cache instead (stripped and compiled), so the
 * stripper is never loaded: `opl version` 0.54-0.64 s -> 0.29-0.30 s (0.15 s since the command line stopped
 * loading the database), and a node's code loads in 0.86-0.89 s instead of 1.20 (measured on the 2-core
 * machine, Node 24.21). A failure to use it is silent and costs
 * only the time; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 *
 * Where: NODE_COMPILE_CACHE if set, else the user's own cache directory (compileCacheDir), not Node's default
 * under the shared os.tmpdir(). What the cache holds is compiled code that this process runs, a validator
 * with its key among them: in /tmp, another local user could create the directory first and put code there.
 *
 * Plain JavaScript on purpose: a .ts launcher would load the stripper before it could turn the cache on.
 */
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  // An older Node on the PATH (the shebang's `env node`) cannot run the .ts files: say so, not a SyntaxError.
  process.stderr.write(
    `opl needs Node.js 24 or newer; this is ${process.version}. Run it through npm (\`npx opl ...\`, \`npm start\`), ` +
    "which uses the Node.js the project installs (package.json devDependencies), or put Node.js 24 first on the PATH.\n",
  );
  process.exit(1);
}
const cacheDir = compileCacheDir(process.env);
if (cacheDir !== undefined) nodeModule.enableCompileCache(cacheDir);
await import("./cli.ts");

/**
 * NODE_COMPILE_CACHE, or $XDG_CACHE_HOME/opl/node-compile-cache, or ~/.cache/opl/node-compile-cache: under
 * this user's home, where no other user can create it first (Node makes the directories as needed, and
 * writes each entry readable by this user alone).
 * Undefined when there is no home to put it in (no HOME and no passwd entry, as in some containers): then
 * there is no cache, rather than one in a directory anyone can write to.
 * @param {NodeJS.ProcessEnv} env
 * @returns {string | undefined}
 */
function compileCacheDir(env) {
  if (env.NODE_COMPILE_CACHE) return env.NODE_COMPILE_CACHE;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "opl", "node-compile-cache");
  try {
    return join(homedir(), ".cache", "opl", "node-compile-cache");
  } catch {
    return undefined;
  }
}

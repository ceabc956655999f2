#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=16
// @ts-check
// MALLOC_ARENA_MAX=2: fewer glibc malloc arenas, ~35 MB less peak RSS under load (node/node-process-env.ts).
// --max-semi-space-size=16 (MB): the young generation's bound, ~30 MB less peak RSS under load than 32 for
// about the same CPU (node/node-process-env.ts NODE_FLAGS); harmless for the short client commands.
import { lstatSync, mkdirSync, realpathSync } from "node:fs";
import * as nodeModule from "node:module";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import process from "node:process";

/**
 * The `opl` command's launcher: turns on Node.js's module compile cache, then runs the command line
 * (bin/cli.ts). Node strips each .ts file's types when it loads it, which first loads its TypeScript
 * stripper (~100 ms) and then parses every file: about half of a command's start-up. With the cache, a
 * file whose contents did not change is taken from the cache instead (stripped and compiled), so the
 * stripper is never loaded: `opl version` 0.54-0.64 s -> 0.29-0.30 s (0.15 s since the command line stopped
 * loading the database), and a node's code loads in 0.86-0.89 s instead of 1.20 (measured on the 2-core
 * machine, Node 24.21). A failure to use it is silent and costs only the time; NODE_DISABLE_COMPILE_CACHE=1
 * turns it off.
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
if (cacheDir !== undefined && ownDirectory(cacheDir)) nodeModule.enableCompileCache(cacheDir);
await import("./cli.ts");

/**
 * NODE_COMPILE_CACHE, or $XDG_CACHE_HOME/opl/node-compile-cache, or ~/.cache/opl/node-compile-cache.
 * Undefined when that is no absolute path (no home at all, as in some containers; an empty HOME; a relative
 * XDG_CACHE_HOME, which the XDG spec says to ignore): a relative one would put the cache in whatever
 * directory opl runs in.
 * @param {NodeJS.ProcessEnv} env
 * @returns {string | undefined}
 */
function compileCacheDir(env) {
  if (env.NODE_COMPILE_CACHE) return env.NODE_COMPILE_CACHE; // the operator's choice, as Node takes it
  let dir;
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) dir = join(env.XDG_CACHE_HOME, "opl", "node-compile-cache");
  else {
    try {
      const home = homedir();
      if (isAbsolute(home)) dir = join(home, ".cache", "opl", "node-compile-cache");
    } catch {
      // no home: no cache
    }
  }
  return dir;
}

/**
 * Makes `dir` (mode 0700 for what it creates) and says whether only this user can change what is in it:
 * it and every directory above it owned by this user or root, and none writable by others unless sticky
 * (as /tmp: others cannot rename or remove what is ours there). Node checks neither owner nor mode, and a
 * HOME of /tmp (some containers) or a directory another user made first would let that user plant code.
 * The path is resolved first (a home reached through a symbolic link is checked where it really is). On a
 * system without user ids (Windows) it is not checked. Never throws: a doubt means no cache.
 * @param {string} dir
 * @returns {boolean}
 */
function ownDirectory(dir) {
  const uid = process.getuid?.();
  if (uid === undefined) return true;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (let d = realpathSync(dir); ; d = dirname(d)) {
      const s = lstatSync(d);
      if (!s.isDirectory() || (s.uid !== uid && s.uid !== 0)) return false;
      const othersWrite = (s.mode & 0o022) !== 0;
      const sticky = (s.mode & 0o1000) !== 0;
      if (othersWrite && !sticky) return false;
      if (dirname(d) === d) return true;
    }
  } catch {
    return false;
  }
}

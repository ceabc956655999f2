/**
 * Environment a node process is started with (by `opl devnet` and the tests' process helper; bin/opl.ts's
 * shebang and package.json's scripts set the same literally). Any value already in the environment wins.
 *
 * MALLOC_ARENA_MAX=2: glibc gives each thread that allocates (verify workers, libuv's pool running LevelDB,
 * OpenSSL) an arena of its own, up to 8 per core, and freed memory stays resident in each. Capping them at two
 * cut a loaded node's peak RSS by 31-36 MB (385 -> 349 and 389 -> 358 MB, 1 validator, `npm run bench`
 * with and without it run side by side), the native memory outside the JS heap and buffers from 140 to 64 MB
 * at the peak, with no change in CPU per tx beyond the noise.
 */
export const NODE_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "2" };

/** The environment for a child node process: ours, with NODE_PROCESS_ENV's defaults under it. */
export function nodeProcessEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...NODE_PROCESS_ENV, ...env };
}

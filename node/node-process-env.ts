/**
 * Environment a node process is started with (by `opl devnet` and the tests' process helper; bin/opl.js's
 * shebang and package.json's scripts set the same literally). Any value already in the environment wins.
 *
 * MALLOC_ARENA_MAX=2: glibc gives each thread that allocates (verify workers, libuv's pool running LevelDB,
 * OpenSSL) an arena of its own, up to 8 per core, and freed memory stays resident in each. Capping them at two
 * cut a loaded node's peak RSS by 31-36 MB (385 -> 349 and 389 -> 358 MB, 1 validator, `npm run bench`
 * with and without it run side by side), the native memory outside the JS heap and buffers from 140 to 64 MB
 * at the peak, with no change in CPU per tx beyond the noise.
 */
export const NODE_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "2" };

/**
 * Node.js flags a node process is started with (the same places as NODE_PROCESS_ENV; a test holds the literal
 * copies to it). --max-semi-space-size=16 (MB): V8's young generation is two semi-spaces of up to this much, all
 * of it resident under load. At 32 a loaded node held 64 MB of young generation; at 16 its peak RSS was ~30 MB
 * lower for about the same CPU: 4 validators at 2,000 tx/s (`npm run bench -- --validators 4 --rate 2000 --txs
 * 120000`, two runs each, alternated through OPL_NODE_FLAGS) 277-297 MB per node against 308-337, node CPU 1.01x
 * in the pair on a steady machine; 1 validator (`--txs 40000`, three pairs) 294-306 MB against 321-334,
 * 7,484-7,652 tx/s against 7,467-7,863 (CPU per tx 2.49-2.58 against 2.42-2.56 verifies). An earlier
 * measurement, before the allocation cuts of issue 12, found 16 MB costing ~9% more CPU per tx.
 */
export const NODE_FLAGS: readonly string[] = ["--max-semi-space-size=16"];

/** The environment for a child node process: ours, with NODE_PROCESS_ENV's defaults under it. */
export function nodeProcessEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...NODE_PROCESS_ENV, ...env };
}

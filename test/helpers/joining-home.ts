import { copyFileSync } from "node:fs";
import { defaultConfig, homePaths, writeConfig } from "../../node/config.ts";
import { createHomeKeys } from "../../node/init.ts";

/**
 * A home for a node joining an existing network, made the way an operator would: its own keys, the
 * network's genesis.json copied in, its peers in config.toml. With `validatorKeyFrom` it takes another
 * home's validator key instead of its own (a "twin": two processes signing as one validator, Byzantine).
 */
export async function createJoiningHome(
  home: string,
  opts: { genesisFrom: string; peers: string[]; validatorKeyFrom?: string; blockIntervalMs?: number },
): Promise<void> {
  await createHomeKeys(home);
  const paths = homePaths(home);
  copyFileSync(homePaths(opts.genesisFrom).genesis, paths.genesis);
  if (opts.validatorKeyFrom !== undefined) {
    copyFileSync(homePaths(opts.validatorKeyFrom).validatorKey, paths.validatorKey);
  }
  const config = defaultConfig("joiner");
  config.p2p.persistent_peers = opts.peers;
  if (opts.blockIntervalMs !== undefined) config.consensus.block_interval_ms = opts.blockIntervalMs;
  writeConfig(paths.config, config);
}

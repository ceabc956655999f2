import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { addressFromPublicKey, decodeAddress } from "../crypto/address.ts";
import type { Genesis } from "../state/genesis.ts";
import { DEFAULT_PARAMS } from "../state/params.ts";
import { ONE_OPEN } from "../state/units.ts";
import { defaultConfig, homePaths, type NodeConfig, writeConfig } from "./config.ts";
import { genesisToFile } from "./genesis-file.ts";
import { Keyring } from "./keyring.ts";
import { createNodeKey } from "./node-key.ts";
import { createValidatorKey } from "./validator-key.ts";

export interface InitOptions {
  home: string;
  chainId: string;
  moniker: string;
  rpcListen?: string;
  p2pListen?: string;
  /** OPEN given to the keyring's `validator` key in genesis. */
  devFunds?: bigint;
  now?: () => number;
}

export { DEFAULT_CHAIN_ID } from "./defaults.ts";
export const DEFAULT_DEV_FUNDS = 1_000_000_000n * ONE_OPEN;

/**
 * Creates a home directory for a single-validator devnet: config.toml, node and validator keys, a keyring
 * with a funded `validator` account, and genesis.json. Refuses to touch a home that already has a config.
 */
export async function initHome(
  opts: InitOptions,
): Promise<{ genesis: Genesis; config: NodeConfig; account: string }> {
  const paths = homePaths(opts.home);
  if (existsSync(paths.config) || existsSync(paths.genesis)) {
    throw new Error(`${opts.home} is already initialised (config.toml or genesis.json exists)`);
  }
  mkdirSync(opts.home, { recursive: true, mode: 0o700 });
  mkdirSync(paths.data, { recursive: true, mode: 0o700 });
  const config = defaultConfig(opts.moniker);
  if (opts.rpcListen !== undefined) config.rpc.listen = opts.rpcListen;
  if (opts.p2pListen !== undefined) config.p2p.listen = opts.p2pListen;

  await createNodeKey(paths.nodeKey);
  const validatorPub = createValidatorKey(paths.validatorKey);
  const keyring = new Keyring(opts.home);
  const account = keyring.has("validator") ? keyring.get("validator") : keyring.add("validator");

  const genesis: Genesis = {
    chainId: opts.chainId,
    genesisTimeMs: (opts.now ?? Date.now)(),
    params: DEFAULT_PARAMS,
    validators: [{ address: addressFromPublicKey(validatorPub), pubkey: validatorPub, power: 1 }],
    accounts: [{ address: decodeAddress(account.address), balance: opts.devFunds ?? DEFAULT_DEV_FUNDS }],
  };
  writeFileSync(paths.genesis, `${JSON.stringify(genesisToFile(genesis, [opts.moniker]), null, 2)}\n`);
  writeConfig(paths.config, config);
  return { genesis, config, account: account.address };
}

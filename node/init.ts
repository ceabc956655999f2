import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { addressFromPublicKey, decodeAddress } from "../crypto/address.ts";
import type { Genesis } from "../state/genesis.ts";
import { DEFAULT_PARAMS } from "../state/params.ts";
import { ONE_OPEN } from "../state/units.ts";
import { DEFAULT_GENESIS_SELF_STAKE } from "./defaults.ts";
import { defaultConfig, homePaths, type NodeConfig, writeConfig } from "./config.ts";
import { genesisToFile } from "./genesis-file.ts";
import { Keyring } from "./keyring.ts";
import { createNodeKey, loadNodeKey } from "./node-key.ts";
import { writeNothingSignedYet } from "./signer.ts";
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

/** What a new home's keys are known by: the validator key for genesis, the node key for peers. */
export interface HomeKeys {
  /** The validator (consensus) key: its address and public key. */
  validator: { address: Uint8Array; pubkey: Uint8Array };
  /** libp2p peer id of the node key (node_getStatus.nodeId, the /p2p/ part of a peer address). */
  nodeId: string;
}

/** Throws if `home` already holds a node: keys and chain data must never be overwritten by accident. */
export function assertFreshHome(home: string): void {
  const paths = homePaths(home);
  if (existsSync(paths.config) || existsSync(paths.genesis)) {
    throw new Error(`${home} is already initialised (config.toml or genesis.json exists)`);
  }
}

/**
 * Creates a home's folders and its node and validator keys (power 1). No config or genesis yet: callers
 * write genesis first and config.toml last, so a half-made home is never taken for a finished one.
 */
export async function createHomeKeys(home: string): Promise<HomeKeys> {
  assertFreshHome(home);
  const paths = homePaths(home);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  mkdirSync(paths.data, { recursive: true, mode: 0o700 });
  await createNodeKey(paths.nodeKey);
  const pubkey = createValidatorKey(paths.validatorKey);
  // With the key, its signer state: a validator key without one is refused at start (a moved or lost file).
  writeNothingSignedYet(paths.signerState);
  return {
    validator: { address: addressFromPublicKey(pubkey), pubkey },
    nodeId: loadNodeKey(paths.nodeKey).peerId,
  };
}

/** Writes genesis.json; `names` label the validators (monikers), which the chain itself ignores. */
export function writeGenesis(path: string, genesis: Genesis, names: string[]): void {
  writeFileSync(path, `${JSON.stringify(genesisToFile(genesis, names), null, 2)}\n`);
}

/**
 * Creates a home directory for a single-validator devnet: config.toml, node and validator keys, a keyring
 * with a funded `validator` account, and genesis.json. Refuses to touch a home that already has a config.
 */
export async function initHome(
  opts: InitOptions,
): Promise<{ genesis: Genesis; config: NodeConfig; account: string }> {
  const paths = homePaths(opts.home);
  assertFreshHome(opts.home);
  const config = defaultConfig(opts.moniker);
  if (opts.rpcListen !== undefined) config.rpc.listen = opts.rpcListen;
  if (opts.p2pListen !== undefined) config.p2p.listen = opts.p2pListen;

  const { validator } = await createHomeKeys(opts.home);
  const keyring = new Keyring(opts.home);
  const account = keyring.has("validator") ? keyring.get("validator") : keyring.add("validator");

  const genesis: Genesis = {
    chainId: opts.chainId,
    genesisTimeMs: (opts.now ?? Date.now)(),
    params: DEFAULT_PARAMS,
    // The keyring's `validator` account operates the validator and pays its self-stake.
    validators: [
      {
        ...validator,
        operator: decodeAddress(account.address),
        moniker: opts.moniker,
        selfStake: DEFAULT_GENESIS_SELF_STAKE,
      },
    ],
    accounts: [
      {
        address: decodeAddress(account.address),
        balance: (opts.devFunds ?? DEFAULT_DEV_FUNDS) + DEFAULT_GENESIS_SELF_STAKE,
      },
    ],
  };
  writeGenesis(paths.genesis, genesis, [opts.moniker]);
  writeConfig(paths.config, config);
  return { genesis, config, account: account.address };
}

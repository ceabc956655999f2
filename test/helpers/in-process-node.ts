import pino from "pino";
import { homePaths, type NodeConfig, readConfig } from "../../node/config.ts";
import { initHome, writeGenesis } from "../../node/init.ts";
import { Keyring } from "../../node/keyring.ts";
import { OplNode, type StartOptions } from "../../node/node.ts";
import { RpcClient } from "../../rpc/client.ts";
import { type TypedClient, typedClient } from "../../rpc/typed-client.ts";
import type { ChainParams } from "../../state/params.ts";
import { TestAccount } from "./accounts.ts";
import { tempDir } from "./tmp.ts";

export interface TestChain {
  home: string;
  node: OplNode;
  rpc: RpcClient;
  /** The same node through the typed client: params and results typed from the method declarations. */
  client: TypedClient;
  chainId: string;
  /** The genesis-funded account (the keyring's `validator` key). */
  faucet: TestAccount;
  /** Resolves once the node has committed `height`. */
  waitForHeight(height: number, timeoutMs?: number): Promise<void>;
  /** Stops the node and removes its home. */
  stop(): Promise<void>;
  /** Removes the home only (for tests that stopped the node themselves). */
  removeHome(): void;
}

export interface TestChainOptions {
  blockIntervalMs?: number;
  maxBatch?: number;
  maxBodyBytes?: number;
  /** Overrides of config.toml's [rpc] settings (limits, timeouts). */
  rpc?: Partial<NodeConfig["rpc"]>;
  /** Overrides of config.toml's [mempool] settings (a small TTL, say). */
  mempool?: Partial<NodeConfig["mempool"]>;
  /** Overrides of config.toml's [state] settings (tree cache, retention). */
  state?: Partial<NodeConfig["state"]>;
  /** Overrides of config.toml's [ws] settings (WebSocket limits). */
  ws?: Partial<NodeConfig["ws"]>;
  /** Overrides of config.toml's [verify] settings (the verify workers). */
  verify?: Partial<NodeConfig["verify"]>;
  /** Overrides of config.toml's [index] settings (indexing off, say). */
  index?: Partial<NodeConfig["index"]>;
  /** Overrides of config.toml's [metrics] settings (a separate listener). */
  metrics?: Partial<NodeConfig["metrics"]>;
  /** Overrides of config.toml's [health] settings (a short max block age). */
  health?: Partial<NodeConfig["health"]>;
  /** Changes genesis params before the node first starts; gets a copy of the defaults, returns the params. */
  params?: (defaults: ChainParams) => ChainParams;
  /** Passed to OplNode.start: the upgrade handlers and skipped heights, and who hears of a fatal stop. */
  start?: Pick<StartOptions, "upgrades" | "onFatal">;
}

/** A real node in this process: real LevelDB in a temp dir, real HTTP on 127.0.0.1 with a free port. */
export async function startTestChain(opts: TestChainOptions = {}): Promise<TestChain> {
  const tmp = tempDir();
  const home = tmp.dir;
  const moniker = "test";
  const { genesis } = await initHome({
    home,
    chainId: "opl-test-1",
    moniker,
    rpcListen: "127.0.0.1:0",
    p2pListen: "/ip4/127.0.0.1/tcp/0",
  });
  if (opts.params !== undefined) {
    const params = opts.params(structuredClone(genesis.params));
    writeGenesis(homePaths(home).genesis, { ...genesis, params }, [moniker]);
  }
  const config = readConfig(homePaths(home).config);
  config.consensus.block_interval_ms = opts.blockIntervalMs ?? 100;
  if (opts.maxBatch !== undefined) config.rpc.max_batch = opts.maxBatch;
  if (opts.maxBodyBytes !== undefined) config.rpc.max_body_bytes = opts.maxBodyBytes;
  Object.assign(config.rpc, opts.rpc);
  Object.assign(config.mempool, opts.mempool);
  Object.assign(config.state, opts.state);
  Object.assign(config.index, opts.index);
  Object.assign(config.verify, opts.verify);
  Object.assign(config.metrics, opts.metrics);
  Object.assign(config.health, opts.health);
  Object.assign(config.ws, opts.ws);
  const node = await OplNode.start({ home, config, logger: pino({ level: "silent" }), ...opts.start });
  const faucetKey = new Keyring(home).get("validator");
  const faucet = new TestAccount(faucetKey.secretKey);
  const waitForHeight = (height: number, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      if (node.app.info().height >= height) return resolve();
      const timer = setTimeout(() => {
        off();
        reject(new Error(`height ${height} not reached in ${timeoutMs} ms`));
      }, timeoutMs);
      const off = node.app.onCommit((e) => {
        if (e.height >= height) {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    });
  const rpc = new RpcClient(node.rpc.url);
  return {
    home,
    node,
    rpc,
    client: typedClient(rpc),
    chainId: node.genesis.chainId,
    faucet,
    waitForHeight,
    stop: async () => {
      await node.stop();
      tmp.cleanup();
    },
    removeHome: () => tmp.cleanup(),
  };
}

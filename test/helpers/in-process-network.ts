import pino from "pino";
import { homePaths, type NodeConfig, readConfig, writeConfig } from "../../node/config.ts";
import { createDevnetHomes } from "../../node/devnet-homes.ts";
import { Keyring } from "../../node/keyring.ts";
import { OplNode } from "../../node/node.ts";
import { TestAccount } from "./accounts.ts";
import { tempDir, waitFor } from "./tmp.ts";

/**
 * N validators as real nodes in this process: homes made by createDevnetHomes (one genesis, each node a
 * persistent peer of the others on 127.0.0.1, free ports), real LevelDB, real libp2p. Cheaper than
 * processes, and a test can read each node's parts (its mempool, its network counters) directly.
 */
export interface InProcessNetwork {
  chainId: string;
  nodes: OplNode[];
  /** The funded keys account0.. of the devnet's keyring. */
  accounts: TestAccount[];
  /** Resolves once every node has committed `height`. */
  waitForHeight(height: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startInProcessNetwork(opts: {
  validators: number;
  accounts: number;
  blockIntervalMs: number;
  /** Changes one node's config before it starts (index, config). */
  configure?: (index: number, config: NodeConfig) => void;
}): Promise<InProcessNetwork> {
  const tmp = tempDir("opl-net-");
  const devnet = await createDevnetHomes({
    dir: tmp.dir,
    validators: opts.validators,
    chainId: "opl-compact-1",
    blockIntervalMs: opts.blockIntervalMs,
    accounts: opts.accounts,
  });
  const nodes: OplNode[] = [];
  const stop = async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
    tmp.cleanup();
  };
  try {
    for (const [i, d] of devnet.nodes.entries()) {
      const path = homePaths(d.home).config;
      const config = readConfig(path);
      opts.configure?.(i, config);
      writeConfig(path, config);
      nodes.push(await OplNode.start({ home: d.home, config, logger: pino({ level: "silent" }) }));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const keyring = new Keyring(tmp.dir);
  const accounts = Array.from({ length: opts.accounts }, (_, i) => new TestAccount(keyring.get(`account${i}`).secretKey));
  return {
    chainId: devnet.chainId,
    nodes,
    accounts,
    waitForHeight: async (height, timeoutMs = 30_000) => {
      await waitFor(`every node at height ${height}`, () => (nodes.every((n) => n.app.info().height >= height) ? true : undefined), timeoutMs);
    },
    stop,
  };
}

import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { MAX_VERIFY_WORKERS } from "../crypto/verify-pool.ts";
import { decodeAddress } from "../crypto/address.ts";
import { CHAIN_ID_RE } from "../proto/tx.ts";
import type { Genesis } from "../state/genesis.ts";
import { DEFAULT_PARAMS } from "../state/params.ts";
import { ONE_OPEN } from "../state/units.ts";
import { DEVNET_WRITE_BUFFER_BYTES } from "../state/store/write-buffer.ts";
import { defaultConfig, homePaths, type NodeConfig, readConfig, writeConfig } from "./config.ts";
import { DEFAULT_GENESIS_SELF_STAKE } from "./defaults.ts";
import { freePorts } from "./free-ports.ts";
import { readGenesisFile } from "./genesis-file.ts";
import { createHomeKeys, writeGenesis } from "./init.ts";
import { Keyring } from "./keyring.ts";
import { loadNodeKey } from "./node-key.ts";

/**
 * A devnet of N validators on this machine: DIR/node0..node{N-1} are ordinary homes (each runs with
 * `opl start --home DIR/nodeI`), all with one genesis, all on 127.0.0.1, each listing the others as
 * persistent peers. The funded keys live in DIR/keyring (`--home DIR` for `opl tx` and `opl keys`).
 */
export interface DevnetOptions {
  dir: string;
  validators: number;
  chainId: string;
  /** consensus.block_interval_ms of every node (default: the config default, 1000). */
  blockIntervalMs?: number;
  /** Funded keys account0.. besides the faucet; default one per validator. */
  accounts?: number;
  now?: () => number;
  /** Cores of the machine the devnet runs on (default: this one's), shared among its nodes' verify workers. */
  cores?: number;
}

export interface DevnetNode {
  name: string;
  home: string;
  /** JSON-RPC URL, http://127.0.0.1:PORT */
  rpc: string;
  /** The address peers dial: /ip4/127.0.0.1/tcp/PORT/p2p/PEER_ID */
  p2p: string;
  nodeId: string;
}

export interface Devnet {
  dir: string;
  chainId: string;
  nodes: DevnetNode[];
}

export interface FundedKey {
  name: string;
  address: string;
  balance: bigint;
}

export const MAX_DEVNET_VALIDATORS = 64;
export const FAUCET_FUNDS = 1_000_000_000n * ONE_OPEN;
export const ACCOUNT_FUNDS = 1_000_000n * ONE_OPEN;

const NODE_DIR_RE = /^node(\d+)$/;

function nodeDirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => NODE_DIR_RE.test(f))
    .sort((a, b) => Number(NODE_DIR_RE.exec(a)?.[1]) - Number(NODE_DIR_RE.exec(b)?.[1]));
}

/** True if DIR already holds (part of) a devnet: a node home or the devnet's faucet key. */
export function devnetExists(dir: string): boolean {
  return nodeDirs(dir).length > 0 || existsSync(join(dir, "keyring", "faucet.json"));
}

/**
 * Verify workers of each node of an N-node devnet on a machine of `cores` cores: a share of the cores, at least
 * one; 0 (one per core, the default) for a devnet of one. The nodes share the machine, and a worker is an
 * isolate of its own (~15 MB resident). On the 2-core machine, 4 validators at 2,000 tx/s (`npm run bench --
 * --validators 4 --rate 2000 --txs 120000`, three runs each way, alternated) peaked at 306-324 MB per node with
 * one worker each against 319-334 with two, for the same CPU per tx (2.42-3.00 verifies against 2.38-2.66: the
 * machine's noise) and p99 latency (1.83-2.76 s against 1.89-2.19).
 */
export function devnetVerifyWorkers(validators: number, cores: number): number {
  if (validators <= 1) return 0;
  return Math.max(1, Math.min(MAX_VERIFY_WORKERS, Math.floor(cores / validators)));
}

/** Creates the homes, keys, shared genesis and configs of a new devnet. Refuses to touch an existing one. */
export async function createDevnetHomes(
  opts: DevnetOptions,
): Promise<Devnet & { genesis: Genesis; keys: FundedKey[] }> {
  const { dir, validators: n } = opts;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_DEVNET_VALIDATORS) {
    throw new Error(`validators must be an integer from 1 to ${MAX_DEVNET_VALIDATORS}, got ${n}`);
  }
  if (!CHAIN_ID_RE.test(opts.chainId)) {
    throw new Error(`chain id ${JSON.stringify(opts.chainId)} is invalid (letters, digits, . _ -; up to 64)`);
  }
  const accounts = opts.accounts ?? n;
  if (!Number.isSafeInteger(accounts) || accounts < 0) throw new Error(`accounts must be >= 0, got ${accounts}`);
  if (devnetExists(dir)) {
    throw new Error(
      `${dir} already holds a devnet; run \`opl devnet --dir ${dir}\` to restart it, or remove the directory to make a new one`,
    );
  }
  const ports = await freePorts(2 * n);
  const names = Array.from({ length: n }, (_, i) => `node${i}`);
  const created: string[] = [];
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keyring = new Keyring(dir);
    const nodes: (DevnetNode & { validator: Genesis["validators"][number]; p2pPort: number; rpcPort: number })[] = [];
    for (const [i, name] of names.entries()) {
      const home = join(dir, name);
      created.push(home);
      const { validator, nodeId } = await createHomeKeys(home);
      const operator = decodeAddress(keyring.add(name).address);
      created.push(join(keyring.dir, `${name}.json`));
      const [rpcPort, p2pPort] = [ports[2 * i], ports[2 * i + 1]];
      nodes.push({
        name,
        home,
        rpc: `http://127.0.0.1:${rpcPort}`,
        p2p: `/ip4/127.0.0.1/tcp/${p2pPort}/p2p/${nodeId}`,
        nodeId,
        // Each validator is operated by a DIR/keyring key of the node's name (it signs unjail, unstake...).
        validator: {
          ...validator,
          operator,
          moniker: name,
          selfStake: DEFAULT_GENESIS_SELF_STAKE,
        },
        rpcPort,
        p2pPort,
      });
    }

    const keyNames = ["faucet", ...Array.from({ length: accounts }, (_, i) => `account${i}`)];
    const keys: FundedKey[] = keyNames.map((name) => {
      const { address } = keyring.add(name); // refuses to overwrite a key already in DIR/keyring
      created.push(join(keyring.dir, `${name}.json`));
      return { name, address, balance: name === "faucet" ? FAUCET_FUNDS : ACCOUNT_FUNDS };
    });

    const genesis: Genesis = {
      chainId: opts.chainId,
      genesisTimeMs: (opts.now ?? Date.now)(),
      params: DEFAULT_PARAMS,
      validators: nodes.map((node) => node.validator),
      accounts: [
        ...nodes.map((node) => ({
          address: node.validator.operator,
          balance: DEFAULT_GENESIS_SELF_STAKE + ACCOUNT_FUNDS,
        })),
        ...keys.map((k) => ({ address: decodeAddress(k.address), balance: k.balance })),
      ],
    };
    for (const node of nodes) {
      const paths = homePaths(node.home);
      // Every home gets the very same file: the chain's identity is a hash of its content.
      writeGenesis(paths.genesis, genesis, names);
      const config = defaultConfig(node.name);
      config.rpc.listen = `127.0.0.1:${node.rpcPort}`;
      config.p2p.listen = `/ip4/127.0.0.1/tcp/${node.p2pPort}`;
      config.p2p.persistent_peers = nodes.filter((other) => other !== node).map((other) => other.p2p);
      if (opts.blockIntervalMs !== undefined) config.consensus.block_interval_ms = opts.blockIntervalMs;
      config.verify.workers = devnetVerifyWorkers(n, opts.cores ?? availableParallelism());
      if (n > 1) config.state.write_buffer_bytes = DEVNET_WRITE_BUFFER_BYTES; // they share the machine's memory
      writeConfig(paths.config, config);
    }
    return {
      dir,
      chainId: opts.chainId,
      genesis,
      keys,
      nodes: nodes.map(({ name, home, rpc, p2p, nodeId }) => ({ name, home, rpc, p2p, nodeId })),
    };
  } catch (err) {
    // Leave no half-made devnet behind: it would be refused (or worse, reused) next time.
    for (const path of created) rmSync(path, { recursive: true, force: true });
    throw err;
  }
}

/** Reads an existing devnet back from its homes' configs, node keys and genesis. */
export function readDevnet(dir: string): Devnet {
  const names = nodeDirs(dir);
  if (names.length === 0) throw new Error(`${dir} holds no devnet (no node0/ home)`);
  names.forEach((name, i) => {
    if (name !== `node${i}`) throw new Error(`${dir} is missing node${i}/ (found ${names.join(", ")})`);
  });
  const nodes = names.map((name) => {
    const home = join(dir, name);
    const paths = homePaths(home);
    const config = readConfig(paths.config);
    const { peerId } = loadNodeKey(paths.nodeKey);
    return {
      name,
      home,
      rpc: `http://${config.rpc.listen.replace(/^0\.0\.0\.0:/, "127.0.0.1:")}`,
      p2p: `${config.p2p.listen}/p2p/${peerId}`,
      nodeId: peerId,
    };
  });
  const chainId = readGenesisFile(homePaths(nodes[0].home).genesis).chainId;
  return { dir, chainId, nodes };
}

/** Changes every home's config.toml of a devnet by `edit` (the other settings are kept). */
function editDevnetConfigs(devnet: Devnet, edit: (config: NodeConfig) => void): void {
  for (const node of devnet.nodes) {
    const path = homePaths(node.home).config;
    const config = readConfig(path);
    edit(config);
    writeConfig(path, config);
  }
}

/** Sets consensus.block_interval_ms in every home of a devnet. */
export function setDevnetBlockInterval(devnet: Devnet, ms: number): void {
  editDevnetConfigs(devnet, (config) => (config.consensus.block_interval_ms = ms));
}

/** Sets [verify] workers in every home of a devnet (`opl devnet --verify-workers`, e.g. on another machine). */
export function setDevnetVerifyWorkers(devnet: Devnet, workers: number): void {
  editDevnetConfigs(devnet, (config) => (config.verify.workers = workers));
}

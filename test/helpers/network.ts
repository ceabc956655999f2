import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { homePaths } from "../../node/config.ts";
import { createDevnetHomes, type FundedKey } from "../../node/devnet-homes.ts";
import { fetchNodeStatus, type NodeStatusSummary } from "../../node/devnet-status.ts";
import { Keyring } from "../../node/keyring.ts";
import { RpcClient } from "../../rpc/client.ts";
import { type TypedClient, typedClient } from "../../rpc/typed-client.ts";
import { TestAccount } from "./accounts.ts";
import { NodeProcess } from "./processes.ts";
import { tempDir } from "./tmp.ts";

/**
 * A network of validators for end-to-end tests: homes made by createDevnetHomes (one genesis, every node a
 * persistent peer of the others, fixed loopback ports) and each node a real `opl start` process. Faults are
 * injected the way an operator would: kill, restart, pause (SIGSTOP) and resume (SIGCONT).
 *
 * A watchdog turns "the chain stopped" into a prompt, named failure ("chain stalled") instead of a test
 * timeout: waitForHeight rejects with it, assertHealthy throws it.
 */
export interface TestNetworkOptions {
  validators: number;
  /** consensus.block_interval_ms of every node; default 200 (tests want blocks fast). */
  blockIntervalMs?: number;
  /** Where to create the homes; default a fresh temp dir, removed by stop(). A given dir is left in place. */
  dir?: string;
  chainId?: string;
  /** Funded keys account0.. besides the faucet; default one per validator. */
  accounts?: number;
  /** Chain params to set in every node's genesis.json before the first start (as in the file: top-level keys). */
  genesisParams?: Record<string, number | string>;
  /**
   * Prepares each node's home before the first start: edits its config.toml (see setConfigValue), or writes
   * a chain into it (test/helpers/built-chain.ts buildChain, for a one-validator network).
   */
  prepare?: (home: string) => void | Promise<void>;
}

/** Sets `key = value` in the config.toml section `[section]` of a home (the key must be there already). */
export function setConfigValue(home: string, section: string, key: string, value: number | string | boolean): void {
  const path = homePaths(home).config;
  const text = readFileSync(path, "utf8");
  const start = text.indexOf(`[${section}]`);
  if (start < 0) throw new Error(`${path} has no [${section}] section`);
  const end = text.indexOf("\n[", start + 1);
  const body = text.slice(start, end < 0 ? undefined : end);
  const line = new RegExp(`^${key} = .*$`, "m");
  if (!line.test(body)) throw new Error(`${path} has no ${key} in [${section}]`);
  const set = body.replace(line, `${key} = ${typeof value === "string" ? JSON.stringify(value) : String(value)}`);
  writeFileSync(path, text.slice(0, start) + set + (end < 0 ? "" : text.slice(end)));
}

/** Sets top-level chain params in a home's genesis.json (every node of a network gets the same edit). */
export function setGenesisParams(home: string, params: Record<string, number | string>): void {
  const path = homePaths(home).genesis;
  const file = JSON.parse(readFileSync(path, "utf8")) as { params?: Record<string, unknown> };
  file.params = { ...file.params, ...params };
  writeFileSync(path, JSON.stringify(file, null, 2));
}

export class TestNode {
  readonly index: number;
  readonly name: string;
  readonly home: string;
  /** JSON-RPC URL (fixed: the configured port, the same across restarts). */
  readonly url: string;
  readonly rpc: RpcClient;
  /** The same node through the typed client: params and results typed from the method declarations. */
  readonly client: TypedClient;
  readonly nodeId: string;
  /** The address its peers dial: /ip4/127.0.0.1/tcp/PORT/p2p/PEER_ID */
  readonly p2p: string;
  /** The running process; undefined while the node is killed. */
  process: NodeProcess | undefined;
  paused = false;

  constructor(index: number, name: string, home: string, url: string, nodeId: string, p2p: string) {
    this.index = index;
    this.name = name;
    this.home = home;
    this.url = url;
    this.rpc = new RpcClient(url);
    this.client = typedClient(this.rpc);
    this.nodeId = nodeId;
    this.p2p = p2p;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Running and not paused: expected to answer RPC and take part in consensus. */
  get live(): boolean {
    return this.process !== undefined && !this.paused;
  }

  /** The node's log lines (JSON) since its last (re)start. */
  get logs(): string[] {
    return this.process?.logLines ?? [];
  }
}

export interface WaitOptions {
  /** Indexes of the nodes that must reach the height; default every live node at each poll. */
  nodes?: number[];
  timeoutMs?: number;
}

interface Watchdog {
  timer: NodeJS.Timeout;
  stallMs: number;
  /** Highest height seen over live nodes, and when it last rose (or progress was last asked for). */
  best: number;
  since: number;
  polling: boolean;
}

const STATUS_TIMEOUT_MS = 2000;

export class TestNetwork {
  readonly dir: string;
  readonly chainId: string;
  readonly nodes: TestNode[];
  /** The funded keys (in DIR/keyring): faucet and account0.. */
  readonly keys: FundedKey[];
  private readonly ownsDir: boolean;
  private watchdog: Watchdog | undefined;
  private expecting = true;
  private failure: Error | undefined;
  private stopped = false;

  private constructor(dir: string, ownsDir: boolean, chainId: string, nodes: TestNode[], keys: FundedKey[]) {
    this.dir = dir;
    this.ownsDir = ownsDir;
    this.chainId = chainId;
    this.nodes = nodes;
    this.keys = keys;
  }

  static async start(opts: TestNetworkOptions): Promise<TestNetwork> {
    const tmp = opts.dir === undefined ? tempDir("opl-net-") : undefined;
    const dir = tmp?.dir ?? (opts.dir as string);
    const made = await createDevnetHomes({
      dir,
      validators: opts.validators,
      chainId: opts.chainId ?? "opl-testnet-1",
      blockIntervalMs: opts.blockIntervalMs ?? 200,
      accounts: opts.accounts,
    }).catch((err: unknown) => {
      tmp?.cleanup();
      throw err;
    });
    if (opts.genesisParams !== undefined) for (const n of made.nodes) setGenesisParams(n.home, opts.genesisParams);
    try {
      for (const n of made.nodes) await opts.prepare?.(n.home);
    } catch (err) {
      tmp?.cleanup();
      throw err;
    }
    const nodes = made.nodes.map((n, i) => new TestNode(i, n.name, n.home, n.rpc, n.nodeId, n.p2p));
    const net = new TestNetwork(dir, tmp !== undefined, made.chainId, nodes, made.keys);
    try {
      await Promise.all(nodes.map((_, i) => net.restart(i)));
    } catch (err) {
      await net.stop();
      throw err;
    }
    return net;
  }

  /** A signer for a funded key (nonces start at 0: right for a fresh chain). */
  account(name: string): TestAccount {
    return new TestAccount(new Keyring(this.dir).get(name).secretKey);
  }

  /** Sends `signal` to node i and waits for it to exit; a paused node is continued so it can act on it. */
  async kill(i: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const node = this.nodes[i];
    const proc = node.process;
    if (proc === undefined) throw new Error(`${node.name} is not running`);
    const exited = proc.kill(signal);
    if (node.paused) proc.child.kill("SIGCONT");
    await exited;
    node.process = undefined;
    node.paused = false;
  }

  /**
   * Starts node i again from its home, on its configured ports (its peers redial them), with `more` start
   * arguments and environment (a new binary's handlers, say). A node whose process exited by itself counts as down.
   */
  async restart(i: number, more: { args?: string[]; env?: Record<string, string> } = {}): Promise<void> {
    const node = this.nodes[i];
    const child = node.process?.child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null)
      throw new Error(`${node.name} is running (pid ${node.pid}); kill it first`);
    node.process = undefined;
    const proc = await NodeProcess.start(node.home, { configuredListen: true, timeoutMs: 60_000, ...more });
    if (this.stopped) {
      await proc.kill("SIGKILL");
      throw new Error("the network was stopped while the node started");
    }
    node.process = proc;
  }

  /** Freezes node i (SIGSTOP): to its peers it is there but silent, like a hung machine. */
  pause(i: number): void {
    const node = this.nodes[i];
    if (node.process === undefined) throw new Error(`${node.name} is not running`);
    node.process.child.kill("SIGSTOP");
    node.paused = true;
  }

  resume(i: number): void {
    const node = this.nodes[i];
    if (node.process === undefined) throw new Error(`${node.name} is not running`);
    node.process.child.kill("SIGCONT");
    node.paused = false;
  }

  /** node_getStatus of every node, in order; undefined for a node that is killed, paused or not answering. */
  statuses(): Promise<(NodeStatusSummary | undefined)[]> {
    return Promise.all(this.nodes.map((n) => (n.live ? fetchNodeStatus(n.url, STATUS_TIMEOUT_MS) : undefined)));
  }

  /** Latest height of every node, in order; undefined for a node that is down. */
  async heights(): Promise<(number | undefined)[]> {
    return (await this.statuses()).map((s) => s?.latestHeight);
  }

  /** Resolves once the nodes reached height h; rejects at once if the watchdog saw the chain stall. */
  async waitForHeight(h: number, opts: WaitOptions = {}): Promise<(number | undefined)[]> {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.assertHealthy();
      const heights = await this.heights();
      const which = opts.nodes ?? this.nodes.filter((n) => n.live).map((n) => n.index);
      if (which.length > 0 && which.every((i) => (heights[i] ?? -1) >= h)) return heights;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for height ${h} on ${which.map((i) => this.nodes[i].name).join(", ")}` +
          ` (${this.describe(heights)})`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Polls every second; if the highest height over live nodes does not rise for `stallMs` while progress is
   * expected, records a "chain stalled" failure (see assertHealthy). Call expectProgress(false) around faults
   * that are meant to halt the chain.
   */
  startWatchdog(opts: { stallMs?: number; intervalMs?: number } = {}): void {
    this.stopWatchdog();
    const w: Watchdog = {
      stallMs: opts.stallMs ?? 20_000,
      best: -1,
      since: Date.now(),
      polling: false,
      timer: setInterval(() => void this.watch(w), opts.intervalMs ?? 1000),
    };
    this.watchdog = w;
  }

  stopWatchdog(): void {
    if (this.watchdog !== undefined) clearInterval(this.watchdog.timer);
    this.watchdog = undefined;
  }

  /** Whether the chain should be making blocks now; turning it on starts a fresh stall period. */
  expectProgress(expect: boolean): void {
    this.expecting = expect;
    if (expect && this.watchdog !== undefined) this.watchdog.since = Date.now();
  }

  /** What the watchdog knows: the highest height seen and for how long it has not moved. */
  watchdogState(): { best: number; stalledForMs: number; failure: Error | undefined } | undefined {
    const w = this.watchdog;
    return w === undefined ? undefined : { best: w.best, stalledForMs: Date.now() - w.since, failure: this.failure };
  }

  /** Throws the watchdog's recorded failure, if any. */
  assertHealthy(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private async watch(w: Watchdog): Promise<void> {
    if (w.polling || this.watchdog !== w) return;
    w.polling = true;
    try {
      const heights = await this.heights();
      const best = Math.max(-1, ...heights.filter((h) => h !== undefined));
      const now = Date.now();
      if (best > w.best) {
        w.best = best;
        w.since = now;
      } else if (this.expecting && now - w.since > w.stallMs && this.failure === undefined) {
        this.failure = new Error(
          `chain stalled: the highest height over live nodes stayed at ${w.best} for ${now - w.since} ms ` +
          `(limit ${w.stallMs} ms; ${this.describe(heights)})`,
        );
      }
    } finally {
      w.polling = false;
    }
  }

  /**
   * For every height from 1 to the lowest latest height over live nodes, fetches the block from every live
   * node and requires the same hash and header everywhere. Returns the number of heights checked.
   */
  async checkIdenticalHeaders(): Promise<number> {
    const live = this.nodes.filter((n) => n.live);
    if (live.length === 0) throw new Error("no live node to check");
    const statuses = await Promise.all(live.map((n) => n.rpc.call<{ latestHeight: number }>("node_getStatus")));
    const top = Math.min(...statuses.map((s) => s.latestHeight));
    const CHUNK = 100;
    for (let from = 1; from <= top; from += CHUNK) {
      const heights = Array.from({ length: Math.min(CHUNK, top - from + 1) }, (_, k) => from + k);
      const replies = await Promise.all(
        live.map((n) => n.rpc.batch(heights.map((height) => ({ method: "chain_getBlock", params: { height } })))),
      );
      for (const [k, height] of heights.entries()) {
        const blocks = replies.map((r, j) => {
          const reply = r[k];
          if (reply.error !== undefined) {
            throw new Error(`${live[j].name} cannot serve block ${height}: ${reply.error.message}`);
          }
          return reply.result as { hash: string; header: unknown };
        });
        for (let j = 1; j < live.length; j++) {
          const [a, b] = [blocks[0], blocks[j]];
          if (a.hash !== b.hash || JSON.stringify(a.header) !== JSON.stringify(b.header)) {
            throw new Error(
              `headers differ at height ${height}: ${live[0].name} has ${a.hash}, ${live[j].name} has ${b.hash}\n` +
              `${live[0].name}: ${JSON.stringify(a.header)}\n${live[j].name}: ${JSON.stringify(b.header)}`,
            );
          }
        }
      }
    }
    return top;
  }

  /** Kills every node (SIGKILL: works on paused ones too) and removes the temp dir it made. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopWatchdog();
    await Promise.all(
      this.nodes.map(async (n) => {
        await n.process?.kill("SIGKILL");
        n.process = undefined;
        n.paused = false;
      }),
    );
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** "node0=12 node1=killed node2=paused node3=exited" for failure messages. */
  private describe(heights: (number | undefined)[]): string {
    return this.nodes.map((n, i) => `${n.name}=${heights[i] ?? this.downState(n)}`).join(" ");
  }

  private downState(n: TestNode): string {
    if (n.process === undefined) return "killed";
    if (n.process.child.exitCode !== null || n.process.child.signalCode !== null) return "exited";
    return n.paused ? "paused" : "no answer";
  }
}

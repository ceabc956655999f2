import { readFileSync, writeFileSync } from "node:fs";
import { homePaths, readConfig, writeConfig } from "../../node/config.ts";
import { verifyWorkerCount } from "../../crypto/verify-pool.ts";
import { createDevnetHomes } from "../../node/devnet-homes.ts";
import { initHome } from "../../node/init.ts";
import { Keyring } from "../../node/keyring.ts";
import { NodeProcess } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";
import { statTicks } from "./thread-groups.ts";

/**
 * The bench's nodes: real `opl start` processes in a temp dir, one validator or a devnet of N. The node's
 * default limits stay as they are (the mempool's size above all: a bench that raised it would hide the
 * back-pressure a real client meets); only the block interval is set, and the RPC batch limits are raised
 * if --batch needs more than the defaults allow. `stop()` kills every node and removes the temp dir; it is
 * safe to call more than once and from a signal handler while a start is still under way.
 */
export class BenchNet {
  readonly dir: string;
  readonly nodes: NodeProcess[] = [];
  /** Each node's verify workers, as its config resolves them (in start order). */
  readonly verifyWorkers: number[] = [];
  private readonly removeDir: () => void;
  private stopping: Promise<void> | undefined;

  constructor() {
    const tmp = tempDir("opl-bench-");
    this.dir = tmp.dir;
    this.removeDir = tmp.cleanup;
  }

  /** Makes the homes, starts every node; returns the funded key's secret (the validator's or the faucet's). */
  async start(p: {
    validators: number;
    chainId: string;
    blockIntervalMs: number;
    batch: number;
    verifyWorkers?: number;
  }): Promise<Uint8Array> {
    const tune = (home: string) => {
      const config = readConfig(homePaths(home).config);
      config.consensus.block_interval_ms = p.blockIntervalMs;
      config.rpc.max_batch = Math.max(p.batch, config.rpc.max_batch);
      // A transfer is ~300 bytes as base64 inside a JSON-RPC call.
      config.rpc.max_body_bytes = Math.max(p.batch * 1024, config.rpc.max_body_bytes);
      // BENCH_INDEX=off measures the node without its search index ([index] enabled = false): the index's cost.
      if (process.env.BENCH_INDEX === "off") config.index.enabled = false;
      // The hot tree-node cache's bound ([state] cache_bytes), to see what the cache's size costs or saves.
      if (process.env.BENCH_TREE_CACHE_BYTES) config.state.cache_bytes = Number(process.env.BENCH_TREE_CACHE_BYTES);
      const valueCacheBytes = process.env.BENCH_VALUE_CACHE_BYTES;
      if (valueCacheBytes) config.state.value_cache_bytes = Number(valueCacheBytes);
      const writeBufferBytes = process.env.BENCH_WRITE_BUFFER_BYTES; // LevelDB's write buffer, likewise
      if (writeBufferBytes) config.state.write_buffer_bytes = Number(writeBufferBytes);
      if (p.verifyWorkers !== undefined) config.verify.workers = p.verifyWorkers;
      if (process.env.BENCH_LOG_LEVEL) config.log.level = process.env.BENCH_LOG_LEVEL as typeof config.log.level;
      writeConfig(homePaths(home).config, config);
      this.verifyWorkers.push(verifyWorkerCount(config.verify.workers));
      return config;
    };
    if (p.validators === 1) {
      await initHome({ home: this.dir, chainId: p.chainId, moniker: "bench", rpcListen: "127.0.0.1:0" });
      tune(this.dir);
      this.nodes.push(await NodeProcess.start(this.dir));
      return new Keyring(this.dir).get("validator").secretKey;
    }
    const devnet = await createDevnetHomes({ dir: this.dir, validators: p.validators, chainId: p.chainId });
    const started = devnet.nodes.map(async (n) => {
      const config = tune(n.home);
      // The configured ports, not free ones: the peers' persistent_peers name them.
      const node = await NodeProcess.start(n.home, ["--rpc-listen", config.rpc.listen, "--p2p-listen", config.p2p.listen]);
      this.nodes.push(node);
      return node;
    });
    const nodes = await Promise.all(started);
    this.nodes.splice(0, this.nodes.length, ...nodes); // in devnet order: node i is nodeI
    return new Keyring(this.dir).get("faucet").secretKey;
  }

  get pids(): number[] {
    return this.nodes.map((n) => n.pid);
  }

  /** Kills every node (SIGTERM, then SIGKILL after 10 s), keeps logs if BENCH_LOGS says so, removes the dir. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(
        this.nodes.map(async (n) => {
          const killer = setTimeout(() => n.child.kill("SIGKILL"), 10_000);
          await n.kill("SIGTERM");
          clearTimeout(killer);
        }),
      );
      const logDir = process.env.BENCH_LOGS;
      if (logDir) for (const [i, n] of this.nodes.entries()) writeFileSync(`${logDir}/node${i}.log`, n.logLines.join("\n"));
      this.removeDir();
    })();
    return this.stopping;
  }
}

/** A process's peak resident set (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m === null ? Number.NaN : Number(m[1]) / 1024;
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  return statTicks(`/proc/${pid}/stat`) / 100;
}

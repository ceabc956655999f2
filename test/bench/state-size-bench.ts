import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { sha256 } from "../../crypto/hash.ts";
import { NODE_FLAGS, nodeProcessEnv } from "../../node/node-process-env.ts";
import { NODE, OPL, runCli, setBlockInterval } from "../helpers/processes.ts";

/**
 * State-size benchmark: a home with N accounts funded in genesis (a streamed accounts file, `opl init
 * --genesis-accounts N`), one validator run as a real `opl start` process. It measures the first start
 * (genesis written into the database), then a restart: the time from spawning the process to its first
 * committed block, the phases the node logs ("chain opened": genesis read, state load), and the resident set
 * (/proc/PID/status VmRSS) once idle after some blocks, with the peak (VmHWM).
 *
 *   npx node test/bench/state-size-bench.ts [--accounts 1000000] [--blocks 5] [--keep] [--inline] [--opl PATH]
 *   npx node test/bench/state-size-bench.ts --home DIR      # a kept home: the restart only
 *
 * Absolute times mean little on a shared machine: each time is also given as a number of sha256 hashes of 64
 * bytes, at the rate this script measured just before (so a figure compares across runs and machines).
 */

interface Options {
  accounts: number;
  blocks: number;
  keep: boolean;
  /** Put the accounts in genesis.json itself, as before accounts files (one JSON string: up to a few million). */
  inline: boolean;
  /** The bin/opl.js whose node is measured (another checkout, for a before/after; the home is made by this one). */
  opl: string;
  /** A home kept by an earlier run (--keep): only the restart is measured. */
  home?: string;
}

function parseOptions(argv: string[]): Options {
  const opts: Options = { accounts: 1_000_000, blocks: 5, keep: false, inline: false, opl: OPL };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--accounts") opts.accounts = Number(argv[++i]);
    else if (a === "--blocks") opts.blocks = Number(argv[++i]);
    else if (a === "--keep") opts.keep = true;
    else if (a === "--inline") opts.inline = true;
    else if (a === "--opl") opts.opl = argv[++i];
    else if (a === "--home") opts.home = argv[++i];
    else throw new Error(`unknown option ${a} (use --accounts N, --blocks K, --keep, --inline, --opl PATH)`);
  }
  if (!Number.isSafeInteger(opts.accounts) || opts.accounts < 1) throw new Error("--accounts must be a positive integer");
  return opts;
}

/** sha256 hashes of 64 bytes per second on this thread, now: the fastest of a few 200 ms windows. */
function sha256Rate(): number {
  const input = new Uint8Array(64);
  let best = 0;
  for (let w = 0; w < 5; w++) {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < 200) {
      for (let i = 0; i < 1000; i++) sha256(input);
      n += 1000;
    }
    best = Math.max(best, n / ((performance.now() - start) / 1000));
  }
  return best;
}

function procStatus(pid: number, field: "VmRSS" | "VmHWM" | "RssAnon"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m === null ? Number.NaN : Number(m[1]) * 1024;
}

interface Run {
  child: ChildProcess;
  /** ms from spawn to the first "committed block" above `fromHeight`. */
  firstBlockMs: Promise<number>;
  /** Resolves when the node has committed `n` more blocks after its first. */
  blocksAfterFirst(n: number): Promise<void>;
  phases: Record<string, number>;
  /** The node's JSON-RPC URL, once it logged it. */
  rpcUrl(): string | undefined;
  stop(): Promise<void>;
}

/** Spawns `opl start` and follows its JSON log. */
function startNode(opl: string, home: string, fromHeight: number): Run {
  const started = performance.now();
  const child = spawn(
    NODE,
    [...NODE_FLAGS, opl, "start", "--home", home, "--rpc-listen", "127.0.0.1:0",
      "--p2p-listen", "/ip4/127.0.0.1/tcp/0", "--log-format", "json"],
    { stdio: ["ignore", "ignore", "pipe"], env: nodeProcessEnv() },
  );
  const phases: Record<string, number> = {};
  let rpcUrl: string | undefined;
  let committed = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  let resolveFirst: (ms: number) => void = () => {};
  let rejectFirst: (err: Error) => void = () => {};
  const firstBlockMs = new Promise<number>((resolve, reject) => {
    resolveFirst = resolve;
    rejectFirst = reject;
  });
  const tail: string[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    if (!line.startsWith("{")) return;
    const entry = JSON.parse(line) as Record<string, unknown>;
    // The first line is logged once the program is loaded: what comes before is Node.js and module loading.
    if (phases.bootMs === undefined) phases.bootMs = Math.round(performance.now() - started);
    if (entry.msg === "chain opened") {
      phases.openedAtMs = Math.round(performance.now() - started);
      for (const [k, v] of Object.entries(entry)) {
        if ((k.endsWith("Ms") || k === "heapMB") && typeof v === "number") phases[k] = v;
      }
    } else if (entry.msg === "JSON-RPC listening" && typeof entry.url === "string") {
      rpcUrl = entry.url;
    } else if (entry.msg === "writing genesis accounts") {
      process.stderr.write(`  genesis: ${String(entry.done)} of ${String(entry.total)} accounts written\n`);
    } else if (entry.msg === "committed block" && typeof entry.height === "number" && entry.height > fromHeight) {
      if (committed === 0) resolveFirst(performance.now() - started);
      committed++;
      for (const w of waiters.splice(0)) {
        if (committed > w.n) w.resolve();
        else waiters.push(w);
      }
    }
  });
  child.on("exit", (code, signal) => rejectFirst(new Error(`node exited (${code ?? signal}):\n${tail.join("\n")}`)));
  return {
    child,
    firstBlockMs,
    phases,
    rpcUrl: () => rpcUrl,
    blocksAfterFirst: (n) => new Promise((resolve) => {
      if (committed > n) resolve();
      else waiters.push({ n, resolve });
    }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Moves the accounts file's accounts into genesis.json (the form every genesis had before accounts files). */
function inlineAccounts(home: string): void {
  const genesisPath = join(home, "genesis.json");
  const genesis = JSON.parse(readFileSync(genesisPath, "utf8")) as {
    accounts: unknown[];
    accountsFile?: { path: string };
  };
  const file = join(home, (genesis.accountsFile as { path: string }).path);
  for (const line of readFileSync(file, "utf8").split("\n")) if (line.length > 0) genesis.accounts.push(JSON.parse(line));
  delete genesis.accountsFile;
  writeFileSync(genesisPath, JSON.stringify(genesis, null, 2));
  rmSync(file);
}

/** How many accounts a kept home's genesis funds (its accounts file's declared count, plus inline ones). */
function genesisAccountCount(home: string): number {
  const genesis = JSON.parse(readFileSync(join(home, "genesis.json"), "utf8")) as {
    accounts: unknown[];
    accountsFile?: { count: number };
  };
  return genesis.accounts.length + (genesis.accountsFile?.count ?? 0);
}

/** The last account of the home's genesis accounts file (read from its tail: the file can be gigabytes). */
function lastGenesisAccount(home: string): { address: string; balance: string } {
  const genesis = JSON.parse(readFileSync(join(home, "genesis.json"), "utf8")) as { accountsFile?: { path: string } };
  if (genesis.accountsFile === undefined) throw new Error("genesis.json names no accounts file (--inline?)");
  const fd = openSync(join(home, genesis.accountsFile.path), "r");
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(size, 4096));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    const lines = tail.toString("utf8").split("\n").filter((l) => l.length > 0);
    return JSON.parse(lines[lines.length - 1]) as { address: string; balance: string };
  } finally {
    closeSync(fd);
  }
}

/**
 * A served, verified query: `opl query account ADDR --prove` (the light client checks the header chain from
 * the genesis validators and the state proof) for the last genesis account, whose balance must be the file's.
 */
async function provedQuery(home: string, rpcUrl: string): Promise<{ ms: number; line: string }> {
  const account = lastGenesisAccount(home);
  const trust = await trustAnchor(home, rpcUrl);
  const t = performance.now();
  const q = await runCli(["query", "account", account.address, "--prove", "--rpc", rpcUrl, "--home", home, "--json", ...trust]);
  const ms = performance.now() - t;
  if (q.code !== 0) throw new Error(`opl query account --prove failed:\n${q.stderr}`);
  const answer = JSON.parse(q.stdout) as { verified?: { value?: { balance?: string } } };
  const balance = answer.verified?.value?.balance;
  if (balance !== account.balance) {
    throw new Error(`the proved balance ${String(balance)} is not the genesis balance ${account.balance}:\n${q.stdout}`);
  }
  return { ms, line: `${account.address} balance ${balance} verified` };
}

/** The light client's default trusting period (opl query --prove): a trusted header older than this is refused. */
const TRUSTING_PERIOD_MS = 600_000;

/** One JSON-RPC call to the node (the bench's own reads, not what is being measured). */
async function rpc(rpcUrl: string, method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const answer = (await res.json()) as { result?: Record<string, unknown> };
  if (answer.result === undefined) throw new Error(`${method} failed: ${JSON.stringify(answer)}`);
  return answer.result;
}

/**
 * What `--prove` starts from: the genesis validators while genesis is recent; for a home kept longer than the
 * trusting period (a 10M-account home takes longer than that to make), the header of this run's latest
 * committed block, whose hash this script reads from the node as an operator would take it from a source they
 * trust. The query still verifies the header chain from there and the state proof.
 */
async function trustAnchor(home: string, rpcUrl: string): Promise<string[]> {
  const genesis = JSON.parse(readFileSync(join(home, "genesis.json"), "utf8")) as { genesisTime: string };
  if (Date.now() - Date.parse(genesis.genesisTime) < TRUSTING_PERIOD_MS / 2) return [];
  const { latestHeight } = await rpc(rpcUrl, "node_getStatus", {});
  const block = await rpc(rpcUrl, "chain_getBlock", { height: latestHeight, txs: "none" });
  if (typeof block.hash !== "string") throw new Error(`chain_getBlock ${String(latestHeight)} gave no hash`);
  return ["--trust-height", String(latestHeight), "--trust-hash", block.hash];
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const command = `npx node test/bench/state-size-bench.ts ${opts.home === undefined ? `--accounts ${opts.accounts}` : `--home ${opts.home}`}` +
    ` --blocks ${opts.blocks}${opts.inline ? " --inline" : ""}${opts.opl === OPL ? "" : ` --opl ${opts.opl}`}`;
  console.log(`command: ${command}`);
  const hashesPerSec = sha256Rate();
  const asHashes = (ms: number) => `${((ms / 1000) * hashesPerSec / 1e6).toFixed(1)}M sha256`;
  console.log(`yardstick: ${(hashesPerSec / 1e6).toFixed(2)}M sha256(64 bytes)/s on one core`);

  const home = opts.home ?? join(mkdtempSync(join(tmpdir(), "opl-state-size-")), "home");
  if (opts.home !== undefined) opts.accounts = genesisAccountCount(home);
  // Every node started, stopped on every path (an error, a failed query) so none is left holding the home.
  const started: Run[] = [];
  const start = (fromHeight: number) => {
    const run = startNode(opts.opl, home, fromHeight);
    started.push(run);
    return run;
  };
  try {
    const t = performance.now();
    let initMs = 0;
    let firstMs = 0;
    if (opts.home === undefined) {
      const init = await runCli(["init", "--home", home, "--genesis-accounts", String(opts.accounts)], 3_600_000);
      if (init.code !== 0) throw new Error(`opl init failed:\n${init.stderr}`);
      initMs = performance.now() - t;
      console.log(`home with ${opts.accounts} accounts made in ${(initMs / 1000).toFixed(1)} s (${asHashes(initMs)})`);
      setBlockInterval(home, 200);
      if (opts.inline) inlineAccounts(home);
      if (opts.opl !== OPL) {
        // An older node refuses config keys it does not know: drop the sections this checkout added.
        const config = join(home, "config.toml");
        writeFileSync(config, readFileSync(config, "utf8").replace(/\n\[state\]\n(?:#.*\n|\w+ = .*\n)*/, "\n"));
      }

      // First start: genesis is streamed into the empty database.
      const first = start(0);
      firstMs = await first.firstBlockMs;
      await first.blocksAfterFirst(opts.blocks);
      const firstRss = procStatus(first.child.pid as number, "VmRSS");
      const firstPeak = procStatus(first.child.pid as number, "VmHWM");
      await first.stop();
      console.log(`first start (genesis written): first block after ${(firstMs / 1000).toFixed(1)} s ` +
        `(${asHashes(firstMs)}); phases ${JSON.stringify(first.phases)}; RSS ${mb(firstRss)}, peak ${mb(firstPeak)}`);
    }

    // Restart: the figure the issue bounds (<= 5 s to the first committed block, <= 300 MB idle).
    const again = start(0);
    const restartMs = await again.firstBlockMs;
    await again.blocksAfterFirst(opts.blocks);
    const rss = procStatus(again.child.pid as number, "VmRSS");
    const peak = procStatus(again.child.pid as number, "VmHWM");
    const anon = procStatus(again.child.pid as number, "RssAnon");
    console.log(`restart: first committed block after ${(restartMs / 1000).toFixed(2)} s (${asHashes(restartMs)}); ` +
      `phases ${JSON.stringify(again.phases)}`);
    console.log(`idle after ${opts.blocks} blocks: RSS ${mb(rss)} (of it anonymous ${mb(anon)}, the rest LevelDB's ` +
      `memory-mapped table files), peak ${mb(peak)}`);
    const url = again.rpcUrl();
    if (url === undefined) throw new Error("the node never logged its JSON-RPC URL");
    const served = await provedQuery(home, url);
    const servedRss = procStatus(again.child.pid as number, "VmRSS");
    await again.stop();
    console.log(`served: opl query account --prove in ${(served.ms / 1000).toFixed(2)} s: ${served.line}; ` +
      `RSS after it ${mb(servedRss)}`);
    console.log(JSON.stringify({
      accounts: opts.accounts,
      sha256PerSec: Math.round(hashesPerSec),
      initMs: Math.round(initMs),
      firstStartMs: Math.round(firstMs),
      restartMs: Math.round(restartMs),
      restartPhases: again.phases,
      idleRssBytes: rss,
      idleRssAnonBytes: anon,
      peakRssBytes: peak,
      servedQueryMs: Math.round(served.ms),
      rssAfterQueryBytes: servedRss,
    }));
  } finally {
    await Promise.all(started.map((run) => run.stop()));
    if (opts.keep || opts.home !== undefined) console.log(`home kept: ${home}`);
    else rmSync(join(home, ".."), { recursive: true, force: true });
  }
}

await main();

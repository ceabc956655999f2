/**
 * Transfer throughput benchmark: starts real nodes (own processes, on 127.0.0.1), a single validator or a
 * devnet of N validators, funds several accounts, sends pre-signed transfers over JSON-RPC batches from
 * concurrent clients spread over every node's RPC, and reports committed tx/s, submit-to-commit latency
 * (p50/p99), the block interval, and each node's peak RSS and CPU.
 *
 *   npm run bench -- [--validators 1] [--txs 60000] [--rate 0] [--accounts 32] [--concurrency 8]
 *                    [--batch 250] [--block-interval 1000]
 *   npm run bench -- --validators 4 --rate 2000 --txs 120000     # 2,000 tx/s offered for 60 s
 *
 * --rate 0 sends as fast as the nodes accept (a throughput ceiling); --rate R offers R tx/s, so the
 * latency is the one a client sees at that load. Bounded: it stops by itself once every tx is committed,
 * or after --timeout seconds.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { toBase64, toHex } from "../../crypto/bytes.ts";
import { homePaths, readConfig, writeConfig } from "../../node/config.ts";
import { createDevnetHomes } from "../../node/devnet-homes.ts";
import { initHome } from "../../node/init.ts";
import { Keyring } from "../../node/keyring.ts";
import { RpcClient } from "../../rpc/client.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { NodeProcess } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

const { values: args } = parseArgs({
  options: {
    "validators": { type: "string", default: "1" },
    "rate": { type: "string", default: "0" },
    "txs": { type: "string", default: "60000" },
    "accounts": { type: "string", default: "32" },
    "concurrency": { type: "string", default: "8" },
    "batch": { type: "string", default: "250" },
    "block-interval": { type: "string", default: "1000" },
    "timeout": { type: "string", default: "180" },
    "help": { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(readFileSync(import.meta.filename, "utf8").split("*/")[0]);
  process.exit(0);
}
const VALIDATORS = Number(args.validators);
const RATE = Number(args.rate);
const TXS = Number(args.txs);
const ACCOUNTS = Number(args.accounts);
const CONCURRENCY = Number(args.concurrency);
const BATCH = Number(args.batch);
const TIMEOUT_MS = Number(args.timeout) * 1000;
const CHAIN = "opl-bench-1";
const FEE = DEFAULT_PARAMS.minFee;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m === null ? Number.NaN : Number(m[1]) / 1024;
}

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const tmp = tempDir("opl-bench-");
const nodes: NodeProcess[] = [];
const deadline = Date.now() + TIMEOUT_MS;

/** Makes the homes (one validator, or a devnet of N), tunes their configs for load, starts every node. */
async function startNodes(): Promise<{ faucetKey: Uint8Array }> {
  const tune = (home: string) => {
    const config = readConfig(homePaths(home).config);
    config.consensus.block_interval_ms = Number(args["block-interval"]);
    config.rpc.max_batch = Math.max(BATCH, config.rpc.max_batch);
    config.rpc.max_body_bytes = 8 * 1024 * 1024;
    config.mempool.max_txs = Math.max(TXS, 100_000);
    if (process.env.BENCH_LOG_LEVEL) config.log.level = process.env.BENCH_LOG_LEVEL as typeof config.log.level;
    writeConfig(homePaths(home).config, config);
    return config;
  };
  if (VALIDATORS === 1) {
    await initHome({ home: tmp.dir, chainId: CHAIN, moniker: "bench", rpcListen: "127.0.0.1:0" });
    tune(tmp.dir);
    nodes.push(await NodeProcess.start(tmp.dir));
    return { faucetKey: new Keyring(tmp.dir).get("validator").secretKey };
  }
  const devnet = await createDevnetHomes({ dir: tmp.dir, validators: VALIDATORS, chainId: CHAIN });
  const started = devnet.nodes.map((n) => {
    const config = tune(n.home);
    // The configured ports, not free ones: the peers' persistent_peers name them.
    return NodeProcess.start(n.home, ["--rpc-listen", config.rpc.listen, "--p2p-listen", config.p2p.listen]);
  });
  nodes.push(...(await Promise.all(started)));
  return { faucetKey: new Keyring(tmp.dir).get("faucet").secretKey };
}

async function main(): Promise<void> {
  const { faucetKey } = await startNodes();
  const node = nodes[0];
  const rpc = new RpcClient(node.url);
  console.log(
    `${nodes.length} node(s), pids ${nodes.map((n) => n.pid).join(" ")}; ${TXS} transfers from ${ACCOUNTS} ` +
    `accounts, ${CONCURRENCY} clients x batches of ${BATCH}, ${RATE > 0 ? `${RATE} tx/s offered` : "unpaced"}`,
  );

  // Fund the senders in one block.
  const faucet = new TestAccount(faucetKey);
  const senders = Array.from({ length: ACCOUNTS }, () => new TestAccount());
  const funding = senders.map((s) => faucet.transfer(CHAIN, s.address, 10_000_000n * FEE, FEE));
  await rpc.batch(funding.map((t) => ({ method: "tx_submit", params: { tx: toBase64(t.bytes) } })));
  const lastFunding = toHex(funding[funding.length - 1].hash);
  while ((await rpc.batch([{ method: "tx_get", params: { hash: lastFunding } }]))[0].error !== undefined) {
    if (Date.now() > deadline) throw new Error("funding was not committed");
    await new Promise((r) => setTimeout(r, 50));
  }

  // Pre-sign everything, nonce-major so that concurrent batches stay close to each sender's nonce.
  const signStart = performance.now();
  const recipient = new TestAccount().address;
  const txs: { b64: string; hash: string }[] = [];
  // Each sender is one wallet: its txs go out in nonce order from one client (account a from client a mod
  // C), through that client's node (client c talks to node c mod N). Two clients sharing a sender would
  // deliver its nonces out of order whenever one is slower, which no wallet does.
  const byClient: { b64: string; hash: string }[][] = Array.from({ length: CONCURRENCY }, () => []);
  for (let i = 0; txs.length < TXS; i++) {
    const s = senders[i % ACCOUNTS];
    const t = s.transfer(CHAIN, recipient, 1n, FEE);
    const tx = { b64: toBase64(t.bytes), hash: toHex(t.hash) };
    txs.push(tx);
    byClient[(i % ACCOUNTS) % CONCURRENCY].push(tx);
  }
  console.log(`signed ${TXS} txs in ${((performance.now() - signStart) / 1000).toFixed(1)} s`);

  const submittedAt = new Map<string, number>();
  const committedAt = new Map<string, number>();
  let refusedRetries = 0;
  const queues = byClient.map((list) => {
    const batches: { b64: string; hash: string }[][] = [];
    for (let i = 0; i < list.length; i += BATCH) batches.push(list.slice(i, i + BATCH));
    return batches;
  });

  // Commit watcher: follows new blocks and stamps each tx with the time its block was seen.
  let watching = true;
  const status0 = await rpc.call<{ latestHeight: number }>("node_status");
  let seenHeight = status0.latestHeight;
  const blockSizes: number[] = [];
  const blockTimes: number[] = [];
  const watcher = (async () => {
    const w = new RpcClient(node.url);
    while (watching && Date.now() < deadline) {
      const { latestHeight } = await w.call<{ latestHeight: number }>("node_status");
      for (let h = seenHeight + 1; h <= latestHeight; h++) {
        const block = await w.call<{ txs: string[]; header: { time: string } }>("chain_getBlock", { height: h });
        const now = performance.now();
        for (const hash of block.txs) committedAt.set(hash, now);
        blockSizes.push(block.txs.length);
        blockTimes.push(Date.parse(block.header.time));
      }
      seenHeight = latestHeight;
      if (committedAt.size >= TXS) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  const start = performance.now();
  const nodeCpuStart = nodes.map((n) => cpuSeconds(n.pid));
  const clientCpuStart = process.cpuUsage();
  const clients = Array.from({ length: CONCURRENCY }, async (_, c) => {
    const client = new RpcClient(nodes[c % nodes.length].url); // clients spread over every node's RPC
    const batches = queues[c];
    for (let i = 0; i < batches.length; i++) {
      if (RATE > 0) {
        // Paced: each client offers its share of the rate, batch i at its time and not before. Clients are
        // staggered over the period (client c starts c/C of it late): independent wallets are not in step,
        // and clients firing together would offer the whole second's load in one burst.
        const period = (BATCH * 1000 * CONCURRENCY) / RATE;
        const due = start + (i + c / CONCURRENCY) * period;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      let todo = batches[i];
      while (todo.length > 0) {
        if (Date.now() > deadline) throw new Error("timed out while submitting");
        const sentAt = performance.now();
        // Latency counts from the first attempt: a tx refused for back-pressure and sent again waited too.
        for (const t of todo) if (!submittedAt.has(t.hash)) submittedAt.set(t.hash, sentAt);
        const replies = await client.batch(todo.map((t) => ({ method: "tx_submit", params: { tx: t.b64 } })));
        const retry: typeof todo = [];
        replies.forEach((r, j) => {
          if (r.error === undefined) return;
          const reason = (r.error.data as { reason?: string } | undefined)?.reason;
          if (reason === "ALREADY_KNOWN" || reason === "ALREADY_INCLUDED") return;
          if (reason === "MEMPOOL_FULL" || reason === "NONCE_TOO_HIGH" || reason === "SENDER_QUEUE_FULL") {
            retry.push(todo[j]); // back-pressure: try again shortly
            return;
          }
          throw new Error(`tx refused: ${r.error.message}`);
        });
        refusedRetries += retry.length;
        todo = retry;
        if (retry.length > 0) await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
  await Promise.all(clients);
  const submitEnd = performance.now();
  await watcher;
  watching = false;
  if (committedAt.size < TXS)
    throw new Error(`only ${committedAt.size} of ${TXS} committed before the timeout`);

  const end = Math.max(...committedAt.values());
  const nodeCpu = nodes.map((n, i) => cpuSeconds(n.pid) - nodeCpuStart[i]);
  const clientCpu = process.cpuUsage(clientCpuStart);
  const latencies = txs.map((t) => (committedAt.get(t.hash) as number) - (submittedAt.get(t.hash) as number));
  latencies.sort((a, b) => a - b);
  const seconds = (end - start) / 1000;
  const nonEmpty = blockSizes.filter((n) => n > 0);
  const intervals = blockTimes.slice(1).map((t, i) => t - blockTimes[i]);
  const result = {
    validators: nodes.length,
    offeredTxPerSec: RATE > 0 ? RATE : "unpaced",
    committedTxs: committedAt.size,
    seconds: Number(seconds.toFixed(2)),
    committedTxPerSec: Math.round(TXS / seconds),
    submitTxPerSec: Math.round(TXS / ((submitEnd - start) / 1000)),
    latencyMsP50: Math.round(percentile(latencies, 50)),
    latencyMsP99: Math.round(percentile(latencies, 99)),
    blocks: nonEmpty.length,
    maxBlockTxs: Math.max(...nonEmpty),
    blockIntervalMsMean: Math.round(intervals.reduce((a, b) => a + b, 0) / Math.max(1, intervals.length)),
    blockIntervalMsMax: Math.max(0, ...intervals),
    backpressureRetries: refusedRetries,
    // Rounds past 0 (a proposal or votes missed their timeout) and block syncs, per node, from their logs.
    laterRounds: nodes.map((n) => n.logLines.filter((l) => l.includes(`"msg":"new round"`)).length),
    blockSyncs: nodes.map((n) => n.logLines.filter((l) => l.includes("block sync: behind")).length),
    nodePeakRssMb: nodes.map((n) => Math.round(peakRssMb(n.pid))),
    // Where the machine's two cores went during the run: each node (all threads) and this load generator.
    nodeCpuSeconds: nodeCpu.map((s) => Number(s.toFixed(1))),
    clientCpuSeconds: Number(((clientCpu.user + clientCpu.system) / 1e6).toFixed(1)),
  };
  console.log(
    `committed ${result.committedTxs} transfers in ${result.seconds} s: ${result.committedTxPerSec} tx/s; ` +
    `latency p50 ${result.latencyMsP50} ms, p99 ${result.latencyMsP99} ms; block interval ` +
    `${result.blockIntervalMsMean} ms (max ${result.blockIntervalMsMax}); node peak RSS ${result.nodePeakRssMb.join("/")} MB`,
  );
  console.log(JSON.stringify(result));
}

try {
  await main();
} catch (err) {
  console.error(`bench failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await Promise.all(nodes.map((n) => n.kill("SIGTERM")));
  // BENCH_LOGS=DIR keeps each node's log (BENCH_LOG_LEVEL=debug adds the per-height timings).
  const logDir = process.env.BENCH_LOGS;
  if (logDir) for (const [i, n] of nodes.entries()) writeFileSync(`${logDir}/node${i}.log`, n.logLines.join("\n"));
  tmp.cleanup();
}

/**
 * Block sync benchmark: builds a chain on a source node (its own `opl` process, one validator, short block
 * interval): --empty empty blocks, then --txs transfers in full blocks. Then a fresh node (in this process,
 * with a joining home: its own keys, the source as its peer) syncs the whole chain over real libp2p on
 * 127.0.0.1. Reports the sync's blocks/s over the empty part and tx/s over the full part, and as ratios to
 * one core's ed25519 verify rate measured by this script just before the sync (verifies per CPU-second of
 * its thread): tx/s over that rate, and the fresh node's CPU (main thread and verify workers) per empty
 * block and per tx in verifies' time, and the source process's (from /proc: the serving side) per empty
 * block. On a shared machine the wall-clock rates move with the load; the CPU ratios much less. Checks that the fresh node ends on the source's state root at the last height.
 *
 *   node test/bench/sync-bench.ts [--empty 3000] [--txs 60000] [--accounts 32] [--timeout 600] [--source DIR]
 *
 * --source DIR keeps the source chain in DIR and reuses it on the next run (building one takes minutes).
 * --profile FILE writes a CPU profile of the sync (the fresh node's main thread) to FILE.
 *
 * Bounded: it stops by itself once synced, or after --timeout seconds.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import pino from "pino";
import { toBase64, toHex } from "../../crypto/bytes.ts";
import { generateSecretKey, privateKeyObject, publicKeyOf, signFast } from "../../crypto/ed25519.ts";
import { homePaths, readConfig, writeConfig } from "../../node/config.ts";
import { initHome } from "../../node/init.ts";
import { Keyring } from "../../node/keyring.ts";
import { OplNode } from "../../node/node.ts";
import { RpcClient } from "../../rpc/client.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { createJoiningHome } from "../helpers/joining-home.ts";
import { NodeProcess, setBlockInterval } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";
import { referenceVerify } from "./reference-verify.ts";

const { values: args } = parseArgs({
  options: {
    empty: { type: "string", default: "3000" },
    txs: { type: "string", default: "60000" },
    accounts: { type: "string", default: "32" },
    timeout: { type: "string", default: "600" },
    source: { type: "string" },
    profile: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(readFileSync(import.meta.filename, "utf8").split("*/")[0]);
  process.exit(0);
}
const EMPTY = Number(args.empty);
const TXS = Number(args.txs);
const ACCOUNTS = Number(args.accounts);
const deadline = Date.now() + Number(args.timeout) * 1000;
const CHAIN = "opl-syncbench-1";
const FEE = DEFAULT_PARAMS.minFee;
const tmp = tempDir("opl-syncbench-");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Status {
  latestHeight: number;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(50);
  }
}

/**
 * One core's ed25519 verify rate (verifies per second of this thread's CPU time, measured over about a
 * second): CPU time, not wall time, so that a machine busy with other work does not make verifies look slow.
 */
function verifyRate(): number {
  const secret = generateSecretKey();
  const pub = publicKeyOf(secret);
  const key = privateKeyObject(secret);
  const msgs = Array.from({ length: 256 }, (_, i) => new Uint8Array(32).fill(i));
  const sigs = msgs.map((m) => signFast(m, key));
  for (let i = 0; i < 500; i++) referenceVerify(msgs[i % 256], sigs[i % 256], pub); // warm up
  const cpu = () => {
    const u = process.threadCpuUsage();
    return u.user + u.system;
  };
  let n = 0;
  const start = cpu();
  while (cpu() - start < 1_000_000) {
    for (let i = 0; i < 256; i++) referenceVerify(msgs[i], sigs[i], pub);
    n += 256;
  }
  return n / ((cpu() - start) / 1e6);
}

interface Source {
  source: NodeProcess;
  home: string;
  p2p: string;
  emptyTo: number;
  fullTo: number;
}

/** The source's p2p address, with its peer id. */
async function p2pAddress(rpc: RpcClient): Promise<string> {
  const status = await rpc.call<{ nodeId: string; p2pAddresses: string[] }>("node_getStatus");
  const p2p = status.p2pAddresses.find((a) => a.includes("127.0.0.1"));
  if (p2p === undefined) throw new Error("the source's p2p address is unknown");
  return p2p.includes("/p2p/") ? p2p : `${p2p}/p2p/${status.nodeId}`;
}

/** The source chain of an earlier run (--source DIR), or a new one. */
async function source(): Promise<Source> {
  const dir = args.source;
  if (dir === undefined) return buildSource(join(tmp.dir, "source"));
  const saved = join(dir, "bench.json");
  if (existsSync(saved)) {
    const { emptyTo, fullTo } = JSON.parse(readFileSync(saved, "utf8")) as { emptyTo: number; fullTo: number };
    const home = join(dir, "source");
    const proc = await NodeProcess.start(home, [], 60_000);
    console.log(`source: reused from ${dir} (empty blocks to ${emptyTo}, full blocks to ${fullTo})`);
    return { source: proc, home, p2p: await p2pAddress(new RpcClient(proc.url)), emptyTo, fullTo };
  }
  mkdirSync(dir, { recursive: true });
  const built = await buildSource(join(dir, "source"));
  writeFileSync(saved, JSON.stringify({ emptyTo: built.emptyTo, fullTo: built.fullTo }));
  return built;
}

async function buildSource(home: string): Promise<Source> {
  await initHome({ home, chainId: CHAIN, moniker: "source", rpcListen: "127.0.0.1:0" });
  const config = readConfig(homePaths(home).config);
  config.consensus.block_interval_ms = 10;
  config.rpc.max_batch = 1000;
  config.rpc.max_body_bytes = 8 * 1024 * 1024;
  config.mempool.max_txs = Math.max(TXS, 100_000);
  writeConfig(homePaths(home).config, config);
  let source = await NodeProcess.start(home, [], 60_000);
  let rpc = new RpcClient(source.url);
  const t0 = performance.now();
  await until(`source at height ${EMPTY}`, async () => (await rpc.call<Status>("node_getStatus")).latestHeight >= EMPTY);
  console.log(`source: ${EMPTY} empty blocks made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Full blocks: a longer interval, so the transfers gather into big blocks.
  await source.kill("SIGTERM");
  setBlockInterval(home, 1000);
  source = await NodeProcess.start(home, [], 60_000);
  rpc = new RpcClient(source.url);
  const emptyTo = (await rpc.call<Status>("node_getStatus")).latestHeight;
  const faucet = new TestAccount(new Keyring(home).get("validator").secretKey);
  const senders = Array.from({ length: ACCOUNTS }, () => new TestAccount());
  const funding = senders.map((s) => faucet.transfer(CHAIN, s.address, 10_000_000n * FEE, FEE));
  await rpc.batch(funding.map((t) => ({ method: "tx_submit", params: { tx: toBase64(t.bytes) } })));
  const lastFunding = toHex(funding[funding.length - 1].hash);
  await until("funding committed", async () =>
    (await rpc.batch([{ method: "tx_get", params: { hash: lastFunding } }]))[0].error === undefined);
  const recipient = new TestAccount().address;
  const perSender = Math.ceil(TXS / ACCOUNTS);
  const t1 = performance.now();
  let lastHash = "";
  // Each sender sends its txs in nonce order; senders go in parallel (in groups of 8).
  const batch = 250;
  for (let g = 0; g < senders.length; g += 8) {
    await Promise.all(senders.slice(g, g + 8).map(async (s) => {
      const txs = Array.from({ length: perSender }, () => s.transfer(CHAIN, recipient, 1n, FEE));
      lastHash = toHex(txs[txs.length - 1].hash);
      for (let i = 0; i < txs.length; i += batch) {
        let todo = txs.slice(i, i + batch);
        while (todo.length > 0) {
          if (Date.now() > deadline) throw new Error("timed out while submitting");
          const replies = await rpc.batch(todo.map((t) => ({ method: "tx_submit", params: { tx: toBase64(t.bytes) } })));
          const retry = todo.filter((_, j) => {
            const reason = (replies[j].error?.data as { reason?: string } | undefined)?.reason;
            return reason === "MEMPOOL_FULL" || reason === "NONCE_TOO_HIGH" || reason === "SENDER_QUEUE_FULL";
          });
          todo = retry;
          if (retry.length > 0) await sleep(50);
        }
      }
    }));
  }
  await until("last transfer committed", async () =>
    (await rpc.batch([{ method: "tx_get", params: { hash: lastHash } }]))[0].error === undefined);
  const fullTo = (await rpc.call<Status>("node_getStatus")).latestHeight;
  console.log(
    `source: ${perSender * ACCOUNTS} transfers in heights ${emptyTo + 1}..${fullTo}, made in ` +
    `${((performance.now() - t1) / 1000).toFixed(1)} s`,
  );
  return { source, home, p2p: await p2pAddress(rpc), emptyTo, fullTo };
}

/** A process's CPU time so far (user + system, every thread), from /proc (Linux), in microseconds. */
function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // from field 3 (state) on
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime: fields 14 and 15
  return (ticks * 1e6) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on Linux for x86 and arm. */
const CLOCK_TICKS_PER_SECOND = 100;

async function main(): Promise<void> {
  const { source: src, home: sourceHome, p2p, emptyTo, fullTo } = await source();
  const rpc = new RpcClient(src.url);
  try {
    const rate = verifyRate();
    console.log(`one core verifies ${Math.round(rate)} ed25519 signatures/s`);

    const home = join(tmp.dir, "fresh");
    await createJoiningHome(home, { genesisFrom: sourceHome, peers: [p2p], blockIntervalMs: 1000 });
    const config = readConfig(homePaths(home).config);
    config.rpc.listen = "127.0.0.1:0";
    config.p2p.listen = "/ip4/127.0.0.1/tcp/0";
    const progress: string[] = [];
    const logStream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split("\n")) if (line.includes("block sync")) progress.push(line);
        cb();
      },
    });
    const commits: { height: number; numTxs: number; ms: number; cpuUs: number; sourceCpuUs: number }[] = [];
    const sourcePid = src.child.pid;
    if (sourcePid === undefined) throw new Error("the source process has no pid");
    const cpuUs = () => {
      const u = process.cpuUsage(); // this process: the fresh node's main thread and its verify workers
      return u.user + u.system;
    };
    const session = args.profile === undefined ? undefined : new Session();
    if (session !== undefined) {
      session.connect();
      await session.post("Profiler.enable");
      await session.post("Profiler.start");
    }
    const node = await OplNode.start({ home, config, logger: pino({ level: "info" }, logStream) });
    const off = node.app.onCommit((e) => {
      // The source's CPU only where it is used (the first commit, the last empty block): a read of /proc each.
      const sourceCpuUs = commits.length === 0 || e.height === emptyTo ? processCpuUs(sourcePid) : 0;
      commits.push({ height: e.height, numTxs: e.numTxs, ms: performance.now(), cpuUs: cpuUs(), sourceCpuUs });
    });
    const cpu0 = process.cpuUsage();
    try {
      await until(`fresh node at height ${fullTo}`, async () => node.app.info().height >= fullTo);
      const cpu = process.cpuUsage(cpu0);
      if (session !== undefined && args.profile !== undefined) {
        const { profile } = await session.post("Profiler.stop");
        writeFileSync(args.profile, JSON.stringify(profile));
        session.disconnect();
      }
      off();
      const at = (h: number) => commits.find((c) => c.height === h);
      const first = commits[0];
      const emptyEnd = at(emptyTo);
      const fullEnd = at(fullTo);
      if (first === undefined || emptyEnd === undefined || fullEnd === undefined) throw new Error("commits missed");
      const emptyBlocks = emptyTo - first.height;
      const emptySeconds = (emptyEnd.ms - first.ms) / 1000;
      const fullTxs = commits.filter((c) => c.height > emptyTo && c.height <= fullTo).reduce((a, c) => a + c.numTxs, 0);
      const fullSeconds = (fullEnd.ms - emptyEnd.ms) / 1000;
      // The fresh node checked every block's state root against its own execution: the same header at the
      // tip means it ends on the source's state root.
      type BlockView = { hash: string; header: { stateRoot: string } };
      const theirs = await rpc.call<BlockView>("chain_getBlock", { height: fullTo });
      const mine = await new RpcClient(node.rpc.url).call<BlockView>("chain_getBlock", { height: fullTo });
      const sameChain = mine.hash === theirs.hash && mine.header.stateRoot === theirs.header.stateRoot;
      const blocksPerSec = emptyBlocks / emptySeconds;
      // CPU in units of one verify of this run: what the sync costs whatever else the machine is doing.
      const verifyUs = 1e6 / rate;
      const cpuVerifiesPerEmptyBlock = (emptyEnd.cpuUs - first.cpuUs) / verifyUs / emptyBlocks;
      const cpuVerifiesPerTx = (fullEnd.cpuUs - emptyEnd.cpuUs) / verifyUs / fullTxs;
      // The serving side: the source process's CPU (it also keeps making its own empty blocks, a little).
      const sourceCpuVerifiesPerEmptyBlock = (emptyEnd.sourceCpuUs - first.sourceCpuUs) / verifyUs / emptyBlocks;
      const txPerSec = fullTxs / fullSeconds;
      const result = {
        emptyBlocks,
        emptySeconds: Number(emptySeconds.toFixed(2)),
        blocksPerSec: Math.round(blocksPerSec),
        fullBlocks: fullTo - emptyTo,
        fullTxs,
        fullSeconds: Number(fullSeconds.toFixed(2)),
        txPerSec: Math.round(txPerSec),
        verifyPerSecOneCore: Math.round(rate),
        txPerSecOverVerifyRate: Number((txPerSec / rate).toFixed(2)),
        // An empty block's cost in verifies of the same run: how many signatures one core checks in its time.
        verifiesPerEmptyBlock: Number((rate / blocksPerSec).toFixed(1)),
        cpuVerifiesPerEmptyBlock: Number(cpuVerifiesPerEmptyBlock.toFixed(2)),
        cpuVerifiesPerTx: Number(cpuVerifiesPerTx.toFixed(2)),
        sourceCpuVerifiesPerEmptyBlock: Number(sourceCpuVerifiesPerEmptyBlock.toFixed(2)),
        freshNodeCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(1)),
        sameStateRootAtTip: sameChain,
        progressLines: progress.filter((l) => l.includes("progress")).length,
      };
      console.log(
        `sync: ${result.blocksPerSec} empty blocks/s (${emptyBlocks} in ${result.emptySeconds} s); ` +
        `${result.txPerSec} tx/s in full blocks (${fullTxs} in ${result.fullSeconds} s) = ` +
        `${result.txPerSecOverVerifyRate}x one core's verify rate; CPU ${result.cpuVerifiesPerEmptyBlock} verifies' ` +
        `time per empty block, ${result.cpuVerifiesPerTx} per tx; the source serving: ` +
        `${result.sourceCpuVerifiesPerEmptyBlock} per empty block; same state root at ${fullTo}: ${sameChain}`,
      );
      for (const l of progress.slice(0, 6)) console.log(`  log: ${l}`);
      console.log(JSON.stringify(result));
      if (!sameChain) throw new Error("the fresh node's block differs from the source's");
    } finally {
      await node.stop();
    }
  } finally {
    await src.kill("SIGTERM");
  }
}

try {
  await main();
} catch (err) {
  console.error(`bench failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  tmp.cleanup();
}

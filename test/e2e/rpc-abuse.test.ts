import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { homePaths, readConfig, writeConfig } from "../../node/config.ts";
import { initHome } from "../../node/init.ts";
import { Keyring } from "../../node/keyring.ts";
import { RpcClient } from "../../rpc/client.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { createHeavyDatanets } from "../helpers/heavy-datanets.ts";
import { NodeProcess } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * RPC serving never delays consensus: a real `opl start` validator makes blocks at the same pace while
 * clients send heavy batches without end (1000 list pages of 100 datanets each, some hung up on after 100 ms)
 * and one address holds as many trickling sockets as it may (and keeps trying for more). The mean block
 * interval under that abuse must stay within 10% of the idle one on the same node. Idle and abused windows
 * alternate (ROUNDS of each, BLOCKS blocks a window), so that other work on the machine (in CI, the other
 * test worker's files) falls on both alike rather than on whichever window it happened to overlap. The
 * abuse is bounded: a fixed number of clients and sockets, for its windows only.
 */
const BLOCK_INTERVAL_MS = 500;
const ROUNDS = 3;
const BLOCKS = 8;
const HEAVY_CLIENTS = 4;
const HANG_UP_CLIENTS = 2;
const TRICKLING_SOCKETS = 48; // more than rpc.max_connections_per_ip (32): the rest are refused, and retried
const ABUSER = "127.0.0.1";
const OBSERVER = "127.0.0.2"; // another loopback address: the test's own status reads are not the abuser's

const tmp = tempDir("opl-rpc-abuse-");
let node: NodeProcess;

beforeAll(async () => {
  const home = tmp.dir;
  await initHome({ home, chainId: "opl-abuse-1", moniker: "v0", rpcListen: "127.0.0.1:0", p2pListen: "/ip4/127.0.0.1/tcp/0" });
  const config = readConfig(homePaths(home).config);
  config.consensus.block_interval_ms = BLOCK_INTERVAL_MS;
  config.rpc.header_timeout_ms = 2_000; // trickling sockets are cut off (and come back) during the window
  writeConfig(homePaths(home).config, config);
  node = await NodeProcess.start(home);
  const faucet = new TestAccount(new Keyring(home).get("validator").secretKey);
  await createHeavyDatanets(new RpcClient(node.url), "opl-abuse-1", faucet, 100);
}, 60_000);

afterAll(async () => {
  await node?.kill();
  tmp.cleanup();
});

/**
 * POSTs `body` over a fresh connection from `localAddress`; the answer's bytes. With `countOnly`, only how
 * many there were and whether the node cut the answer short with NODE_BUSY (its node-wide budget of answer
 * bytes in flight): the abusers read their answers without joining them, so that the test process's own
 * work (it shares the machine's two cores with the node, and in CI with another test worker) stays small.
 */
function postFrom(localAddress: string, body: string, timeoutMs: number): Promise<Buffer>;
function postFrom(localAddress: string, body: string, timeoutMs: number, countOnly: true): Promise<AnswerCount>;
function postFrom(
  localAddress: string,
  body: string,
  timeoutMs: number,
  countOnly = false,
): Promise<Buffer | AnswerCount> {
  const url = new URL(node.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        localAddress,
        method: "POST",
        path: "/",
        agent: false,
        headers: { "content-type": "application/json" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        const count = { bytes: 0, busy: false };
        res.on("data", (d: Buffer) => {
          count.bytes += d.byteLength;
          if (!countOnly) chunks.push(d);
          else if (!count.busy && d.includes("NODE_BUSY")) count.busy = true;
        });
        res.on("end", () => resolve(countOnly ? count : Buffer.concat(chunks)));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.end(body);
  });
}

interface AnswerCount {
  bytes: number;
  busy: boolean;
}

async function callFrom<T>(localAddress: string, method: string, params: Record<string, unknown>): Promise<T> {
  const answer = await postFrom(localAddress, JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }), 5_000);
  const reply = JSON.parse(answer.toString()) as { result?: T; error?: { message: string } };
  if (reply.error !== undefined) throw new Error(`${method}: ${reply.error.message}`);
  return reply.result as T;
}

const height = async () => (await callFrom<{ latestHeight: number }>(OBSERVER, "node_getStatus", {})).latestHeight;
const blockTime = async (h: number) =>
  Date.parse((await callFrom<{ header: { time: string } }>(OBSERVER, "chain_getBlock", { height: h })).header.time);

/** Waits for `blocks` more blocks; the mean interval between them, from their header times. */
async function meanInterval(blocks: number): Promise<number> {
  const from = await height();
  let to = from;
  while (to < from + blocks) {
    await new Promise((r) => setTimeout(r, BLOCK_INTERVAL_MS / 2));
    to = await height();
  }
  return ((await blockTime(to)) - (await blockTime(from))) / (to - from);
}

/** Abuse from one address until `stop` is set; counts of what it did. */
function abuse(stop: { done: boolean }) {
  const counts = { batches: 0, bytes: 0, cutShort: 0, hangUps: 0, refusedSockets: 0, failures: 0 };
  const body = JSON.stringify(
    Array.from({ length: 1000 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "datanet_list", params: { limit: 100 } })),
  );
  // Each client from an address of its own: the per-address limit would otherwise keep them out altogether.
  const heavy = async (_: unknown, i: number) => {
    while (!stop.done) {
      try {
        const answer = await postFrom(`127.0.1.${i + 1}`, body, 60_000, true);
        counts.bytes += answer.bytes;
        if (answer.busy) counts.cutShort++;
        counts.batches++;
      } catch {
        counts.failures++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const hangUp = async (_: unknown, i: number) => {
    while (!stop.done) {
      await postFrom(`127.0.2.${i + 1}`, body, 100).catch(() => counts.hangUps++);
    }
  };
  const sockets = new Set<Socket>();
  const url = new URL(node.url);
  const trickle = () => {
    if (stop.done) return;
    const s = connect({ host: url.hostname, port: Number(url.port), localAddress: ABUSER });
    sockets.add(s);
    s.on("error", () => {});
    s.on("data", () => counts.refusedSockets++);
    s.once("connect", () => s.write("POST / HTTP/1.1\r\nHost: x\r\nX-Slow: "));
    s.once("close", () => {
      sockets.delete(s);
      setTimeout(trickle, 50); // and comes back
    });
  };
  for (let i = 0; i < TRICKLING_SOCKETS; i++) trickle();
  const dripper = setInterval(() => {
    for (const s of sockets) if (s.writable) s.write("a");
  }, 200);
  const clients = [...Array.from({ length: HEAVY_CLIENTS }, heavy), ...Array.from({ length: HANG_UP_CLIENTS }, hangUp)];
  return {
    counts,
    async end() {
      stop.done = true;
      clearInterval(dripper);
      for (const s of sockets) s.destroy();
      await Promise.all(clients);
    },
  };
}

it("the block interval under heavy batches, hang-ups and trickling sockets stays within 10% of the idle one", async () => {
  const idle: number[] = [];
  const abused: number[] = [];
  const c = { batches: 0, bytes: 0, cutShort: 0, hangUps: 0, refusedSockets: 0, failures: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    idle.push(await meanInterval(BLOCKS));
    const stop = { done: false };
    const attack = abuse(stop);
    try {
      await new Promise((r) => setTimeout(r, 1_000)); // the abuse in full swing before the window starts
      abused.push(await meanInterval(BLOCKS));
    } finally {
      await attack.end();
    }
    for (const k of Object.keys(c) as (keyof typeof c)[]) c[k] += attack.counts[k];
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ratio = mean(abused) / mean(idle);
  const ms = (xs: number[]) => xs.map((x) => x.toFixed(1)).join("/");
  console.log(
    `block interval: idle ${mean(idle).toFixed(1)} ms (${ms(idle)}), under abuse ${mean(abused).toFixed(1)} ms ` +
    `(${ms(abused)}) (x${ratio.toFixed(3)}) over ${ROUNDS} x ${BLOCKS} blocks each; abuse: ${c.batches} batches of ` +
    `1000 list pages answered (${(c.bytes / 2 ** 20).toFixed(0)} MiB; ${c.cutShort} cut short by NODE_BUSY), ${c.hangUps} hung up, ${c.failures} refused, ` +
    `${c.refusedSockets} sockets answered 503 or timed out`,
  );
  expect(c.batches).toBeGreaterThan(0); // the abuse was real
  expect(ratio).toBeLessThan(1.1);
}, 120_000);

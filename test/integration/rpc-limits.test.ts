import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfig } from "../../node/config.ts";
import { APP_ERRORS } from "../../rpc/errors.ts";
import { MAX_PIPELINED } from "../../rpc/server.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { BLOCK_BYTES_PER_WORK } from "../../rpc/block-read-charge.ts";
import { MAX_BLOCK_TX_PAGE } from "../../rpc/block-tx-page.ts";
import { createHeavyDatanets } from "../helpers/heavy-datanets.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * What a hostile client can do to the JSON-RPC server of a real node, and what it must not achieve: a
 * response too big to build, work that goes on after it hung up, and sockets that lock others out.
 */
const DEFAULTS = defaultConfig("test").rpc;
// Small enough that a test reaches them in a second; every other setting is the default.
const LIMITS = {
  max_request_work: 5_000,
  max_response_bytes_in_flight: 12 * 2 ** 20,
  max_connections_per_ip: 8,
  header_timeout_ms: 1_000,
};
const DATANETS = 20;

let chain: TestChain;
const nobody = new TestAccount();

beforeAll(async () => {
  chain = await startTestChain({ rpc: LIMITS });
  // Datanets of ~4 KB each: a page of 100 (all 20) is ~90 KB, a batch of 1000 pages would be ~90 MB.
  await createHeavyDatanets(chain.rpc, chain.chainId, chain.faucet, DATANETS);
}, 60_000);

afterAll(async () => {
  await chain?.stop();
});

interface Reply {
  id: number;
  result?: { items: unknown[] };
  error?: { code: number; message: string; data?: { reason?: string } };
}

/** POSTs a batch of `n` copies of one call; the reply, its size in bytes, how long it took and the peak RSS. */
async function batch(n: number, method: string, params: Record<string, unknown>) {
  const body = JSON.stringify(Array.from({ length: n }, (_, i) => ({ jsonrpc: "2.0", id: i, method, params })));
  const rss0 = process.memoryUsage.rss();
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  const t0 = performance.now();
  try {
    const res = await fetch(chain.rpc.url, { method: "POST", headers: { "content-type": "application/json" }, body });
    const text = await res.text();
    return {
      replies: JSON.parse(text) as Reply[],
      bytes: Buffer.byteLength(text),
      ms: performance.now() - t0,
      rssGrowth: peak - rss0,
    };
  } finally {
    clearInterval(sampler);
  }
}

describe("response and work budgets", () => {
  it("a batch of 1000 datanet_list {limit:100} gets a bounded response: pages up to the budget, then a clear error", async () => {
    const r = await batch(1000, "datanet_list", { limit: 100 });
    const pages = r.replies.filter((x) => x.result !== undefined);
    const refused = r.replies.filter((x) => x.error !== undefined);
    console.log(
      `1000 x datanet_list{limit:100}: ${r.bytes} bytes in ${r.ms.toFixed(0)} ms, ${pages.length} pages, ` +
      `${refused.length} refused, RSS +${(r.rssGrowth / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(r.replies).toHaveLength(1000); // every request answered, in order of ids
    expect(r.replies.map((x) => x.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(pages.length).toBeGreaterThan(0);
    for (const p of pages) expect(p.result?.items).toHaveLength(DATANETS);
    expect(refused.length).toBeGreaterThan(0);
    for (const e of refused) {
      expect(e.error).toMatchObject({
        code: APP_ERRORS.RESPONSE_TOO_LARGE,
        data: { reason: "RESPONSE_TOO_LARGE", limit: DEFAULTS.max_response_bytes },
      });
      expect(e.error?.message).toContain(`response budget of ${DEFAULTS.max_response_bytes} bytes`);
      expect(e.error?.message).toContain("rpc.max_response_bytes");
    }
    // The results fit the budget; the refusals add a bounded few hundred bytes each.
    expect(r.bytes).toBeLessThan(DEFAULTS.max_response_bytes + 1000 * 400);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.rssGrowth).toBeLessThan(512 * 2 ** 20);
  });

  it("the call whose answer would cross the budget is refused too: what is sent stays within it", async () => {
    // One page is ~90 KB; 200 pages go over the budget.
    const r = await batch(200, "datanet_list", { limit: 100 });
    const firstRefused = r.replies.findIndex((x) => x.error !== undefined);
    expect(firstRefused).toBeGreaterThan(0);
    const pageBytes = Buffer.byteLength(JSON.stringify(r.replies[0]));
    expect(firstRefused * pageBytes).toBeLessThanOrEqual(DEFAULTS.max_response_bytes);
  });

  it("requests together get at most the node-wide budget of answers in flight; the rest are told to retry", async () => {
    // Two batches at once, each allowed 8 MiB: together they may hold 12 MiB until sent.
    const both = await Promise.all([batch(1000, "datanet_list", { limit: 100 }), batch(1000, "datanet_list", { limit: 100 })]);
    const pageBytes = both.flatMap((r) => r.replies.filter((x) => x.result !== undefined))
      .reduce((sum, x) => sum + Buffer.byteLength(JSON.stringify(x)), 0);
    const busy = both.flatMap((r) => r.replies).filter((x) => x.error?.code === APP_ERRORS.NODE_BUSY);
    console.log(`two batches at once: ${pageBytes} bytes of pages, ${busy.length} calls told the node is busy`);
    expect(pageBytes).toBeLessThanOrEqual(LIMITS.max_response_bytes_in_flight);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0].error).toMatchObject({ data: { reason: "NODE_BUSY", limit: LIMITS.max_response_bytes_in_flight } });
    // (Both come from one address, whose share of the budget is one full answer: rpc/answer-bytes.ts CLIENT_SHARE.)
    expect(pageBytes).toBeLessThanOrEqual(DEFAULTS.max_response_bytes);
    expect(busy[0].error?.message).toContain("rpc.max_response_bytes_in_flight); this call and the rest");
    // Once those answers are sent, the node holds nothing for them: a batch alone gets its full budget again.
    const alone = await batch(1000, "datanet_list", { limit: 100 });
    expect(alone.replies.filter((x) => x.result !== undefined).length).toBeGreaterThan(90);
    expect(alone.replies.some((x) => x.error?.code === APP_ERRORS.NODE_BUSY)).toBe(false);
  });

  it("a batch that scans more keys than the work budget allows is cut short with a clear error", async () => {
    // A filter that matches nothing: each call reads all 20 datanets and returns an empty page.
    const r = await batch(1000, "datanet_list", { limit: 100, owner: nobody.bech32 });
    const done = r.replies.filter((x) => x.result !== undefined);
    const refused = r.replies.filter((x) => x.error !== undefined);
    console.log(`1000 filtered lists: ${done.length} run, ${refused.length} refused in ${r.ms.toFixed(0)} ms`);
    expect(done.length).toBeGreaterThan(0);
    expect(done.length * DATANETS).toBeLessThanOrEqual(LIMITS.max_request_work);
    expect(refused.length).toBeGreaterThan(0);
    for (const e of refused) {
      expect(e.error).toMatchObject({
        code: APP_ERRORS.WORK_LIMIT_EXCEEDED,
        data: { reason: "WORK_LIMIT_EXCEEDED", limit: LIMITS.max_request_work },
      });
      expect(e.error?.message).toContain(`work budget of ${LIMITS.max_request_work} keys`);
    }
  });
});

/** The block holding the most of the 4 KB datanets' txs: its height and tx count. */
async function heaviestBlock(): Promise<{ height: number; numTxs: number }> {
  const latest = chain.node.app.info().height;
  let heaviest = { height: 1, numTxs: 0 };
  for (let height = 1; height <= latest; height++) {
    const { numTxs } = await chain.rpc.call<{ numTxs: number }>("chain_getBlock", { height, txs: "none" });
    if (numTxs > heaviest.numTxs) heaviest = { height, numTxs };
  }
  return heaviest;
}

describe("block reads", () => {
  it("count against the work budget by their size: a batch re-reading a heavy block is cut short", async () => {
    // The block holding the most of the 4 KB datanets; each chain_getBlock reads, checks and decodes it whole.
    const heaviest = await heaviestBlock();
    const kib = Math.ceil((heaviest.numTxs * 4000) / BLOCK_BYTES_PER_WORK); // at least this many work units a read
    expect(kib * 1000).toBeGreaterThan(LIMITS.max_request_work);
    const r = await batch(1000, "chain_getBlock", { height: heaviest.height, txs: "none" });
    const done = r.replies.filter((x) => x.result !== undefined);
    const refused = r.replies.filter((x) => x.error !== undefined);
    console.log(`1000 reads of a ${heaviest.numTxs}-tx block: ${done.length} run, ${refused.length} refused in ${r.ms.toFixed(0)} ms`);
    expect(done.length).toBeGreaterThan(0);
    expect(done.length * kib).toBeLessThanOrEqual(LIMITS.max_request_work);
    expect(refused.length).toBe(1000 - done.length);
    for (const e of refused) expect(e.error).toMatchObject({ code: APP_ERRORS.WORK_LIMIT_EXCEEDED });
    // light_getBlock reads the whole block for its header too, charged the same way on a miss; its header is
    // then kept (rpc/committed-header.ts), so asking again costs no read: all 1000 are answered.
    const light = await batch(1000, "light_getBlock", { height: heaviest.height });
    expect(light.replies.filter((x) => x.result !== undefined)).toHaveLength(1000);
  });
});

describe("a block's txs read in full", () => {
  it("count by their bytes too, and come a page of at most MAX_BLOCK_TX_PAGE at a time", async () => {
    const heaviest = await heaviestBlock();
    expect(heaviest.numTxs).toBeGreaterThanOrEqual(2);
    const whole = await chain.rpc.call<{ numTxs: number; txs: { hash: string; raw: string }[] }>(
      "chain_getBlockResults", { height: heaviest.height });
    expect(whole.numTxs).toBe(heaviest.numTxs);
    expect(whole.txs).toHaveLength(heaviest.numTxs);
    // Each tx is a key, and each KiB of its bytes past the first one more: a ~4 KB datanet tx is 4 keys.
    const work = whole.txs.reduce((sum, t) => sum + Math.ceil(Buffer.from(t.raw, "base64").byteLength / BLOCK_BYTES_PER_WORK), 0);
    expect(work).toBeGreaterThan(heaviest.numTxs);
    const r = await batch(1000, "chain_getBlockResults", { height: heaviest.height });
    const done = r.replies.filter((x) => x.result !== undefined);
    console.log(`1000 chain_getBlockResults of a ${heaviest.numTxs}-tx block (${work} keys each): ${done.length} run`);
    expect(done.length).toBeGreaterThan(0);
    // The code before charged a key a tx: ~4 times as many reads of these bytes ran.
    expect(done.length * work).toBeLessThanOrEqual(LIMITS.max_request_work + work);
    for (const e of r.replies.filter((x) => x.error !== undefined)) {
      expect(e.error).toMatchObject({ code: APP_ERRORS.WORK_LIMIT_EXCEEDED });
    }
    // A page: txOffset and txLimit, as chain_getBlock's; a bigger page than MAX_BLOCK_TX_PAGE is refused.
    const second = await chain.rpc.call<{ numTxs: number; txs: { hash: string }[] }>(
      "chain_getBlockResults", { height: heaviest.height, txOffset: 1, txLimit: 1 });
    expect(second.numTxs).toBe(heaviest.numTxs);
    expect(second.txs.map((t) => t.hash)).toEqual([whole.txs[1].hash]);
    await expect(chain.rpc.call("chain_getBlockResults", { height: heaviest.height, txLimit: MAX_BLOCK_TX_PAGE + 1 }))
      .rejects.toMatchObject({ code: -32602 });
  });
});

describe("a client that hangs up", () => {
  it("stops the work of its batch, and the node answers the next request at once", async () => {
    const stats = chain.node.rpc.stats;
    const before = { calls: stats.callsStarted, abandoned: stats.requestsAbandoned };
    // 1000 small pages: well within both budgets, a second or so of work if it ran to the end.
    const body = JSON.stringify(
      Array.from({ length: 1000 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "datanet_list", params: { limit: 1 } })),
    );
    const url = new URL(chain.rpc.url);
    const req = request({ host: url.hostname, port: url.port, method: "POST", path: "/", headers: { "content-type": "application/json" } });
    req.on("error", () => {}); // we hang up ourselves
    req.end(body);
    await waitFor("the batch to start", () => (chain.node.rpc.stats.callsStarted - before.calls >= 20 ? true : undefined), 10_000);
    req.destroy();
    await waitFor("the node to see the hang-up", () =>
      chain.node.rpc.stats.requestsAbandoned > before.abandoned ? true : undefined, 10_000);
    const ran = chain.node.rpc.stats.callsStarted - before.calls;
    console.log(`hung up after 20 calls started; the node ran ${ran} of 1000`);
    expect(ran).toBeLessThan(500);
    // The node answers others at once: the fastest of three calls (one stall of a loaded machine is not the
    // abandoned batch's doing; the batch's share is `ran`, checked again below).
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await chain.rpc.call("node_getStatus");
      times.push(performance.now() - t0);
    }
    expect(Math.min(...times)).toBeLessThan(1_000);
    expect(chain.node.rpc.stats.callsStarted - before.calls - 3).toBe(ran); // nothing more of it ran since
  });
});

/** A raw TCP connection to the RPC port from a given local address. */
function openSocket(localAddress: string): Promise<{ socket: Socket; closed: () => boolean; received: () => string }> {
  const url = new URL(chain.rpc.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), localAddress });
    let closed = false;
    let received = "";
    socket.on("data", (d) => (received += d.toString()));
    socket.on("close", () => (closed = true));
    socket.on("error", () => {});
    socket.once("connect", () => resolve({ socket, closed: () => closed, received: () => received }));
    socket.once("error", reject);
  });
}

/** node_getStatus over a fresh connection from `localAddress` (not the keep-alive pool of fetch). */
function statusFrom(localAddress: string): Promise<{ status: number; body: string }> {
  const url = new URL(chain.rpc.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, localAddress, method: "POST", path: "/", agent: false, headers: { "content-type": "application/json" } },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.setTimeout(3_000, () => req.destroy(new Error("no answer in 3 s")));
    req.end(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "node_getStatus" }));
  });
}

describe("connections", () => {
  it("requests pipelined on one connection run one after another; too many close it", async () => {
    const url = new URL(chain.rpc.url);
    const body = JSON.stringify(
      Array.from({ length: 200 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "datanet_list", params: { limit: 1 } })),
    );
    const post = "POST / HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n" +
      `content-length: ${body.length}\r\n\r\n${body}`;
    const pipeline = async (count: number) => {
      const socket = connect({ host: url.hostname, port: Number(url.port) });
      let received = "";
      let closed = false;
      socket.on("data", (d) => (received += d.toString()));
      socket.on("close", () => (closed = true));
      socket.on("error", () => {});
      let most = 0;
      const sampler = setInterval(() => (most = Math.max(most, chain.node.rpc.stats.requestsRunning)), 1);
      try {
        socket.write(post.repeat(count)); // all in one write, without waiting for any answer
        const answers = () => received.split("HTTP/1.1 200 OK").length - 1;
        await waitFor("the answers, or the connection closed", () => (answers() === count || closed ? true : undefined));
        return { answers: answers(), most, closed };
      } finally {
        clearInterval(sampler);
        socket.destroy();
      }
    };
    const ok = await pipeline(MAX_PIPELINED);
    console.log(`${MAX_PIPELINED} pipelined batches: at most ${ok.most} running at once`);
    expect(ok).toMatchObject({ answers: MAX_PIPELINED, most: 1 });
    const abusive = await pipeline(4 * MAX_PIPELINED);
    expect(abusive.closed).toBe(true);
    expect(abusive.answers).toBeLessThan(4 * MAX_PIPELINED);
  });

  it("idle and trickling sockets from one address cannot lock another out, and are closed after the header timeout", async () => {
    const abuser = "127.0.0.1";
    const other = "127.0.0.2"; // another loopback address: to the node, another client
    const count = 3 * LIMITS.max_connections_per_ip;
    const sockets = await Promise.all(Array.from({ length: count }, () => openSocket(abuser)));
    // Half send nothing; half send a partial header and then one byte every 100 ms, forever.
    const trickle = sockets.filter((_, i) => i % 2 === 0);
    for (const s of trickle) s.socket.write("POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    const timer = setInterval(() => {
      for (const s of trickle) if (!s.closed()) s.socket.write("a");
    }, 100);
    try {
      // Beyond the per-address limit, connections are refused at once, with a reason.
      const refused = await waitFor("connections beyond the per-address limit to be refused", () => {
        const closed = sockets.filter((s) => s.closed());
        return closed.length >= sockets.length - LIMITS.max_connections_per_ip ? closed : undefined;
      }, 5_000);
      // (fetch's keep-alive connections from this address may hold a few of its slots: more may be refused)
      for (const r of refused) {
        expect(r.received()).toMatch(/^HTTP\/1\.1 503/);
        expect(r.received()).toContain("at most 8 at a time (rpc.max_connections_per_ip)");
      }
      // Another client is served meanwhile.
      const t0 = performance.now();
      const answer = await statusFrom(other);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ result: { chainId: chain.chainId } });
      expect(performance.now() - t0).toBeLessThan(1_000);
      // The ones it kept are closed once the header timeout passes, trickling or not.
      const t1 = performance.now();
      await waitFor("the slow sockets to be closed", () => (sockets.every((s) => s.closed()) ? true : undefined), 10_000);
      const waited = performance.now() - t1;
      console.log(`slow sockets closed ${waited.toFixed(0)} ms after the refusals (header timeout ${LIMITS.header_timeout_ms} ms)`);
      expect(waited).toBeLessThan(LIMITS.header_timeout_ms + 3_000);
      // And the abuser's own address may connect again.
      expect((await statusFrom(abuser)).status).toBe(200);
    } finally {
      clearInterval(timer);
      for (const s of sockets) s.socket.destroy();
    }
  });
});

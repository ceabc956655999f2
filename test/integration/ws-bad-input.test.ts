import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { APP_ERRORS, INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR } from "../../rpc/errors.ts";
import { encodeCursor, queryDigest } from "../../rpc/search-cursor.ts";
import { MAX_PIPELINED } from "../../rpc/server.ts";
import { CLOSE_CODES } from "../../rpc/ws/limits.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { waitFor } from "../helpers/tmp.ts";
import { type RpcFailure, TestWsClient } from "../helpers/ws-client.ts";

/**
 * Bad input over the WebSocket answers a clear JSON-RPC error, or closes that one connection with a code and a
 * reason; the node goes on (blocks, other connections, HTTP). A node with its index off says so to a filter.
 */
const LIMITS = { max_subscriptions_per_connection: 4, max_message_bytes: 4096, max_connections_per_ip: 6 };
let chain: TestChain;
const clients: TestWsClient[] = [];

beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 50, ws: LIMITS });
  await chain.waitForHeight(3);
}, 30_000);

afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await chain?.stop();
});

async function connect(): Promise<TestWsClient> {
  const c = await TestWsClient.connect(chain.node.rpc.url);
  clients.push(c);
  return c;
}

async function expectUnhurt(): Promise<void> {
  const height = chain.node.app.info().height;
  await chain.waitForHeight(height + 2);
  const c = await connect();
  const sub = await c.subscribe({ topic: "blocks" });
  await c.until(() => c.items(sub.subscription).length >= 1, "a block on a new connection");
  c.close();
  expect(await chain.rpc.call<{ height: number }>("chain_getBlockResults", { height: 1 })).toMatchObject({ height: 1 });
}

describe("WebSocket bad input", () => {
  it("answers bad subscribe params with a clear error, and the connection goes on", async () => {
    const c = await connect();
    const unknownKey = await c.errorOf("subscribe", { topic: "txs", filter: { address: "x", colour: "red" } });
    expect(unknownKey.code).toBe(INVALID_PARAMS);
    expect(unknownKey.message).toMatch(/colour/);
    const unknownTopic = await c.errorOf("subscribe", { topic: "mempool" });
    expect(unknownTopic.message).toMatch(/topic must be one of blocks, txs, events/);
    const blocksFilter = await c.errorOf("subscribe", { topic: "blocks", filter: { type: "transfer" } });
    expect(blocksFilter.message).toMatch(/blocks topic takes no filter/);
    const amountOnly = await c.errorOf("subscribe", {
      topic: "events",
      filter: { event: { type: "transfer", attribute: "amount", value: "1" } },
    });
    expect(amountOnly.message).toMatch(/not indexed/);

    const tip = chain.node.app.info().height;
    const beyond = await c.errorOf("subscribe", { topic: "blocks", fromHeight: tip + 1000 });
    expect(beyond.code).toBe(APP_ERRORS.HEIGHT_NOT_AVAILABLE);
    expect(beyond.message).toMatch(/beyond the next block/);

    // A cursor of another subscription (another filter or topic), of tx_search, or garbage.
    const sub = await c.subscribe({ topic: "txs", filter: { type: "transfer" }, fromHeight: 1 });
    const other = await c.errorOf("subscribe", { topic: "txs", filter: { type: "stake" }, cursor: sub.cursor });
    expect(other.code).toBe(APP_ERRORS.INVALID_CURSOR);
    expect(other.message).toMatch(/another subscription/);
    const otherTopic = await c.errorOf("subscribe", { topic: "events", filter: { type: "transfer" }, cursor: sub.cursor });
    expect(otherTopic.code).toBe(APP_ERRORS.INVALID_CURSOR);
    // tx_search's cursors are of another kind (a search of the same filter).
    const searchQuery = { type: "transfer", order: "asc" };
    const ofSearch = encodeCursor({ height: 1, position: 0 }, queryDigest(searchQuery));
    const searchCursor = await c.errorOf("subscribe", { topic: "txs", filter: { type: "transfer" }, cursor: ofSearch });
    expect(searchCursor.code).toBe(APP_ERRORS.INVALID_CURSOR);
    const garbage = await c.errorOf("subscribe", { topic: "txs", cursor: "not a cursor" });
    expect(garbage.code).toBe(APP_ERRORS.INVALID_CURSOR);
    const both = await c.errorOf("subscribe", { topic: "txs", cursor: sub.cursor, fromHeight: 1 });
    expect(both.message).toMatch(/fromHeight or cursor, not both/);
    const noSuch = await c.errorOf("unsubscribe", { subscription: "99" });
    expect(noSuch.message).toMatch(/no subscription "99"/);

    // subscribe over HTTP, or in a batch on the socket, says where it works.
    const overHttp = await chain.rpc.call("subscribe", { topic: "blocks" }).catch((e: unknown) => e as RpcFailure);
    expect((overHttp as RpcFailure).message).toMatch(/works over the WebSocket at ws:\/\/HOST:PORT\/ws/);
    c.ws.send(JSON.stringify([{ jsonrpc: "2.0", id: 77, method: "subscribe", params: { topic: "blocks" } }]));
    const inBatch = await new Promise<{ error: { message: string } }[]>((resolve) =>
      c.ws.once("message", (d) => resolve(JSON.parse(d.toString()) as { error: { message: string } }[])));
    expect(inBatch[0].error.message).toMatch(/not in a batch/);

    // Not JSON: a parse error, and the connection still answers.
    c.ws.send("{ this is not json");
    const parse = await new Promise<{ error: { code: number } }>((resolve) =>
      c.ws.once("message", (d) => resolve(JSON.parse(d.toString()) as { error: { code: number } })));
    expect(parse.error.code).toBe(PARSE_ERROR);
    expect(await c.call("chain_getBlockResults", { height: 1 })).toMatchObject({ height: 1 });
  });

  it("refuses a subscribe flood past the per-connection limit, and the connection goes on", async () => {
    const c = await connect();
    for (let i = 0; i < LIMITS.max_subscriptions_per_connection; i++) await c.subscribe({ topic: "blocks" });
    const refused = await Promise.all(
      Array.from({ length: 4 }, () => c.errorOf("subscribe", { topic: "blocks" })),
    );
    for (const r of refused) {
      expect(r.code).toBe(INVALID_REQUEST);
      expect(r.message).toMatch(/too many subscriptions on this connection: at most 4/);
    }
    await c.call("unsubscribe", { subscription: "1" });
    const again = await c.subscribe({ topic: "blocks" });
    await c.until(() => c.items(again.subscription).length >= 1, "a block on the new subscription");
    c.close();
  });

  it("frees a subscription's place once unsubscribe answers: at the limit, subscribe right after succeeds", async () => {
    const c = await connect();
    // Over a real socket, with replaying pumps (fromHeight 1); test/unit/ws-unsubscribe-frees.test.ts holds a
    // pump's read open across the unsubscribe, which this cannot do on demand.
    const ids: string[] = [];
    for (let i = 0; i < LIMITS.max_subscriptions_per_connection; i++) {
      ids.push((await c.subscribe({ topic: "blocks", fromHeight: 1 })).subscription);
    }
    for (let round = 0; round < 40; round++) {
      const gone = ids.shift() as string;
      expect(await c.call("unsubscribe", { subscription: gone })).toMatchObject({ unsubscribed: gone });
      ids.push((await c.subscribe({ topic: "blocks", fromHeight: 1 })).subscription);
    }
    expect(ids).toHaveLength(LIMITS.max_subscriptions_per_connection);
    const last = ids.at(-1) as string;
    await c.until(() => c.items(last).length >= 1, "a block on the last subscription");
    c.close();
  });

  it("closes a connection that floods requests without reading answers, sends an oversized or a binary frame", async () => {
    const flood = await connect();
    for (let i = 0; i < MAX_PIPELINED * 20; i++) {
      flood.ws.send(JSON.stringify({ jsonrpc: "2.0", id: i, method: "tx_search", params: { type: "transfer", limit: 100 } }));
    }
    const flooded = await flood.closed;
    expect(flooded.code).toBe(CLOSE_CODES.tooManyRequests);
    expect(flooded.reason).toMatch(/requests waiting for their answers/);

    // Fewer than MAX_PIPELINED requests, but large: those waiting may hold two of max_message_bytes at most
    // (8 waiting of 1 MiB on each of 256 connections could hold 2 GiB before).
    const heavy = await connect();
    for (let i = 0; i < 4; i++) {
      heavy.ws.send(JSON.stringify({ jsonrpc: "2.0", id: i, method: "tx_search", params: { type: "x".repeat(3800) } }));
    }
    const heavied = await heavy.closed;
    expect(heavied.code).toBe(CLOSE_CODES.tooManyRequests);
    expect(heavied.reason).toMatch(/2 x ws.max_message_bytes/);

    const big = await connect();
    big.ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "node_getStatus", params: { pad: "x".repeat(8000) } }));
    const tooBig = await big.closed;
    expect(tooBig.code).toBe(1009); // message too big (ws's maxPayload: ws.max_message_bytes)

    const binary = await connect();
    binary.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    const bin = await binary.closed;
    expect(bin.code).toBe(CLOSE_CODES.unsupportedData);
    expect(bin.reason).toMatch(/text frame/);
    await expectUnhurt();
  });

  it("refuses connections past the per-address limit and upgrades on other paths", async () => {
    // The other tests' connections are gone first: this one counts to the limit.
    for (const c of clients) c.ws.terminate();
    await Promise.all(clients.map((c) => c.closed));
    await waitFor("the other tests' connections gone", () => (chain.node.websocket.stats.connections === 0 ? true : undefined), 10_000);
    const open: TestWsClient[] = [];
    for (let i = 0; i < LIMITS.max_connections_per_ip; i++) open.push(await connect());
    const refused = new WebSocket(`${chain.node.rpc.url.replace(/^http/, "ws")}/ws`).on("error", () => {});
    const status = await new Promise<number>((resolve) => refused.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(503);
    refused.terminate();
    for (const c of open) c.close();
    await Promise.all(open.map((c) => c.closed));
    const wrongPath = new WebSocket(`${chain.node.rpc.url.replace(/^http/, "ws")}/other`).on("error", () => {});
    const notFound = await new Promise<number>((resolve) => wrongPath.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
    expect(notFound).toBe(404);
    wrongPath.terminate();
    await expectUnhurt();
  });
});

describe("WebSocket on a node with its index off", () => {
  it("answers a filtered subscribe with INDEX_DISABLED, streams unfiltered ones, and closes them at stop", async () => {
    const off = await startTestChain({ blockIntervalMs: 50, index: { enabled: false } });
    let stopped = false;
    try {
      const c = await TestWsClient.connect(off.node.rpc.url);
      clients.push(c);
      const err = await c.errorOf("subscribe", { topic: "txs", filter: { type: "transfer" } });
      expect(err.code).toBe(APP_ERRORS.INDEX_DISABLED);
      expect(err.message).toMatch(/enabled = false/);
      const sub = await c.subscribe({ topic: "events", fromHeight: 1 });
      const blocks = await c.subscribe({ topic: "blocks", fromHeight: 1 });
      await c.until(() => c.items(blocks.subscription).length >= 3, "blocks from a node without an index");
      expect(c.items(sub.subscription).every((e) => e.kind === "event")).toBe(true);
      // Stopping the node closes its WebSocket connections (going away) rather than waiting for them.
      await off.node.stop();
      stopped = true;
      expect((await c.closed).code).toBe(CLOSE_CODES.goingAway);
    } finally {
      if (stopped) off.removeHome();
      else await off.stop();
    }
  }, 30_000);
});

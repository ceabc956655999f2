import { connect, type Socket } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Dispatcher } from "../../rpc/dispatch.ts";
import type { RpcMethod } from "../../rpc/method.ts";
import { RpcServer } from "../../rpc/server.ts";
import { APP_ERRORS, INTERNAL_ERROR } from "../../rpc/errors.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * The node-wide budget of answer bytes in flight (rpc.max_response_bytes_in_flight) over a real HTTP server:
 * whatever clients do (hang up while an answer is made, answers that cannot be serialized), every byte taken
 * is given back, so no client can leave the node answering NODE_BUSY forever.
 */
const logger = pino({ level: "silent" });
let server: RpcServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function method(name: string, handler: RpcMethod["handler"]): RpcMethod {
  return { name, description: "", params: z.object({}).passthrough(), handler } as RpcMethod;
}

const bigAnswer = "x".repeat(100_000);
/** Test methods: an answer of 100 KB made after a wait (a database read), a small one, one that cannot be sent. */
const methods = [
  method("slow_big", async () => {
    await new Promise((r) => setTimeout(r, 100));
    return bigAnswer;
  }),
  method("big", () => bigAnswer),
  method("ping", () => "pong"),
  // JSON.stringify throws on a bigint: an answer that cannot be serialized.
  method("unserializable", () => ({ n: 1n })),
];

async function start(inFlight: number) {
  const dispatcher = new Dispatcher({
    methods,
    context: {} as never,
    maxBatch: 100,
    maxResponseBytes: 1_000_000,
    maxResponseBytesInFlight: inFlight,
    maxRequestWork: 1000,
    maxConcurrentScans: 2,
    logger,
  });
  server = new RpcServer({
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes: 1 << 20,
    dispatcher,
    logger,
    limits: {
      maxConnections: 100,
      maxConnectionsPerIp: 100,
      headerTimeoutMs: 1000,
      requestTimeoutMs: 2000,
      idleTimeoutMs: 1000,
    },
  });
  const addr = await server.listen();
  return { dispatcher, port: addr.port, url: server.url };
}

async function post(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return JSON.parse(await res.text());
}

/** Sends a request on a raw socket and hangs up `afterMs` later, while the answer is still being made. */
function hangUpAfter(port: number, body: unknown, afterMs: number): Promise<void> {
  const text = JSON.stringify(body);
  return new Promise<void>((done) => {
    const s: Socket = connect(port, "127.0.0.1", () => {
      s.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
      setTimeout(() => s.destroy(), afterMs);
    });
    s.on("close", () => done());
    s.on("error", () => {});
  });
}

describe("the answer budget in flight", () => {
  it("clients that hang up while their answer is made leave nothing held: a later call is answered", async () => {
    // Room for two answers of 100 KB at once.
    const { dispatcher, port, url } = await start(250_000);
    for (let i = 0; i < 4; i++) {
      await hangUpAfter(port, { jsonrpc: "2.0", id: i, method: "slow_big" }, 30);
    }
    // Every hung-up request finished its handler and was given up.
    await waitFor("the requests to end", () => dispatcher.stats.requestsRunning === 0 || undefined, 3_000);
    await waitFor("the answer bytes to be given back", () => dispatcher.answerBytesInFlight === 0 || undefined, 3_000);
    expect(await post(url, { jsonrpc: "2.0", id: 9, method: "big" })).toEqual({ jsonrpc: "2.0", id: 9, result: bigAnswer });
    expect(dispatcher.answerBytesInFlight).toBe(0);
  });

  it("a batch element whose answer cannot be serialized gets an internal error; the rest are answered and nothing is held", async () => {
    const { dispatcher, url } = await start(10_000_000);
    const batch = [
      { jsonrpc: "2.0", id: 1, method: "unserializable" },
      ...Array.from({ length: 8 }, (_, i) => ({ jsonrpc: "2.0", id: 10 + i, method: "slow_big" })),
    ];
    const replies = (await post(url, batch)) as { id: number; result?: unknown; error?: { code: number } }[];
    expect(replies).toHaveLength(9);
    expect(replies[0]).toMatchObject({ id: 1, error: { code: INTERNAL_ERROR } });
    for (const r of replies.slice(1)) expect(r.result).toBe(bigAnswer);
    await waitFor("the requests to end", () => dispatcher.stats.requestsRunning === 0 || undefined, 3_000);
    expect(dispatcher.answerBytesInFlight).toBe(0);
    // A single call too.
    expect(await post(url, { jsonrpc: "2.0", id: 2, method: "unserializable" })).toMatchObject({ id: 2, error: { code: INTERNAL_ERROR } });
    expect(dispatcher.answerBytesInFlight).toBe(0);
    expect(APP_ERRORS.NODE_BUSY).toBe(2008);
  });
});

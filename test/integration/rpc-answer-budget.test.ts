import { connect, type Socket } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Dispatcher } from "../../rpc/dispatch.ts";
import type { RpcMethod } from "../../rpc/method.ts";
import { RpcServer } from "../../rpc/server.ts";
import { APP_ERRORS, INTERNAL_ERROR } from "../../rpc/errors.ts";
import { postFrom } from "../helpers/http-request.ts";
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
  return { name, description: "", params: z.object({}).passthrough(), result: z.unknown(), handler } as RpcMethod;
}

const bigAnswer = "x".repeat(100_000);
/**
 * Bigger than what the kernel's socket buffers take in on loopback (tcp_wmem's 4 MiB, and the little a reader
 * that hardly reads is given), so that a slow reader keeps the node from sending all of it.
 */
const hugeAnswer = "y".repeat(8_000_000);
/** Test methods: an answer of 100 KB made after a wait (a database read), a small one, one that cannot be sent. */
const methods = [
  method("slow_big", async () => {
    await new Promise((r) => setTimeout(r, 100));
    return bigAnswer;
  }),
  method("big", () => bigAnswer),
  method("ping", () => "pong"),
  method("huge", () => hugeAnswer),
  // JSON.stringify throws on a bigint: an answer that cannot be serialized.
  method("unserializable", () => ({ n: 1n })),
];

interface StartOptions {
  maxResponseBytes?: number;
  minSendBytesPerSecond?: number;
  requestTimeoutMs?: number;
}

async function start(inFlight: number, opts: StartOptions = {}) {
  const dispatcher = new Dispatcher({
    methods,
    context: {} as never,
    maxBatch: 100,
    maxResponseBytes: opts.maxResponseBytes ?? 1_000_000,
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
    minSendBytesPerSecond: opts.minSendBytesPerSecond,
    limits: {
      maxConnections: 100,
      maxConnectionsPerIp: 100,
      headerTimeoutMs: 1000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 2000,
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

/**
 * A client that asks for an answer and reads it slowly: 64 KiB every 100 ms, little enough that the kernel
 * does not take in the whole answer. `bytes()` says how
 * much it has read so far; `stop()` hangs up.
 */
function slowReader(port: number, body: unknown): { bytes: () => number; stop: () => void } {
  const text = JSON.stringify(body);
  let bytes = 0;
  const s: Socket = connect({ port, host: "127.0.0.1" }, () => {
    s.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  });
  // And sends a byte of a next (pipelined) request now and then: traffic either way keeps the connection from
  // going idle, so only a deadline for the whole answer ends this.
  // (A complete header, then its body a byte at a time: within the request timeout, nothing else stops it.)
  s.on("connect", () => s.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n"));
  const next = " ".repeat(10_000);
  let tick = 0;
  const trickle = setInterval(() => {
    const chunk = (s.read(65536) ?? s.read()) as Buffer | null;
    bytes += chunk?.byteLength ?? 0;
    if (tick % 2 === 0) s.write(next[tick / 2]);
    tick++;
  }, 100);
  s.on("error", () => {});
  s.on("close", () => clearInterval(trickle));
  return {
    bytes: () => bytes,
    stop: () => {
      clearInterval(trickle);
      s.destroy();
    },
  };
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

describe("a client reading its answers slowly", () => {
  it("holds at most its address's share of the budget, and is cut off at its answers' deadline; others are answered", async () => {
    const minSendBytesPerSecond = 4 * 2 ** 20;
    // Room for four 8 MB answers: one address reading slowly on four connections would hold them all.
    const { dispatcher, port } = await start(36_000_000, {
      maxResponseBytes: 9_000_000,
      minSendBytesPerSecond,
      requestTimeoutMs: 30_000,
    });
    const t0 = performance.now();
    const slow = Array.from({ length: 4 }, (_, i) => slowReader(port, { jsonrpc: "2.0", id: i, method: "huge" }));
    await waitFor("the slow client's answers to be made", () =>
      dispatcher.stats.requestsRunning === 0 && dispatcher.answerBytesInFlight > 0 ? true : undefined, 3_000);
    // Another address gets its big answer, and a small one.
    const other = await postFrom("127.0.0.2", `http://127.0.0.1:${port}/`, { jsonrpc: "2.0", id: 7, method: "huge" });
    expect(other).toEqual({ jsonrpc: "2.0", id: 7, result: hugeAnswer });
    expect(await postFrom("127.0.0.2", `http://127.0.0.1:${port}/`, { jsonrpc: "2.0", id: 8, method: "ping" })).toEqual({ jsonrpc: "2.0", id: 8, result: "pong" });
    // The slow reader got at most one answer's worth held; the node gives it up at that answer's deadline
    // (idle timeout + size / minimum rate), long before the client could have read it at its pace (~12 s).
    await waitFor("the slow answer to be given up", () => dispatcher.answerBytesInFlight === 0 || undefined, 6_000);
    const givenUpAfter = performance.now() - t0;
    const deadlineMs = 1000 + (hugeAnswer.length * 1000) / minSendBytesPerSecond;
    const read = slow.map((r) => r.bytes());
    console.log(`slow reader: read ${read.join(", ")} bytes; its answer given up after ${givenUpAfter.toFixed(0)} ms`);
    for (const r of slow) r.stop();
    expect(Math.max(...read)).toBeLessThan(hugeAnswer.length);
    expect(givenUpAfter).toBeLessThan(deadlineMs + 1_500);
  }, 15_000);
});

import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BODY_CLIENT_SHARE, BodyBytes, MAX_BUFFERED_BODY_BYTES } from "../../rpc/body-bytes.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * Request bodies waiting to be parsed are bounded node-wide and per connection (rpc/body-bytes.ts): each
 * connection's bodies (and pipelined ones queued behind a slow request) were held in full, up to ~9 GiB at the
 * defaults. Here 70 connections from one address each send 1 MB of a 1 MiB body and stop: the node holds at
 * most that address's share of MAX_BUFFERED_BODY_BYTES, answers the rest 503, and still serves others.
 */

let chain: TestChain;
const sockets: Socket[] = [];

beforeAll(async () => {
  chain = await startTestChain({ rpc: { max_connections_per_ip: 100, max_connections: 200 } });
}, 30_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await chain?.stop();
});

describe("request bodies held before they are parsed", () => {
  it(`are at most a quarter of ${MAX_BUFFERED_BODY_BYTES} bytes from one address: past it a body is refused 503`, async () => {
    const { hostname, port } = new URL(chain.node.rpc.url);
    const statuses: string[] = [];
    const part = Buffer.alloc(1_000_000, 0x20);
    for (let i = 0; i < 70; i++) {
      const socket = connect(Number(port), hostname);
      sockets.push(socket);
      let text = "";
      socket.on("data", (d: Buffer) => {
        text += d.toString("latin1");
        if (text.includes("\r\n")) statuses.push(text.split("\r\n")[0]);
      });
      socket.on("error", () => {});
      socket.write(`POST / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\n`);
      socket.write(`Content-Length: ${1024 * 1024}\r\n\r\n`);
      socket.write(part); // the body's last 48,576 bytes never come
    }
    const share = MAX_BUFFERED_BODY_BYTES / BODY_CLIENT_SHARE;
    const fit = Math.floor(share / part.byteLength);
    await waitFor("refusals past the budget", () => (statuses.length >= 70 - fit ? true : undefined), 20_000);
    expect(chain.node.rpc.bodies.held).toBeLessThanOrEqual(share);
    expect(statuses.every((s) => s === "HTTP/1.1 503 Service Unavailable")).toBe(true);
    // The node still answers a request that fits.
    expect((await chain.client.node.getStatus()).chainId).toBe(chain.chainId);
    for (const s of sockets.splice(0)) s.destroy();
    await waitFor("the bodies given back", () => (chain.node.rpc.bodies.held === 0 ? true : undefined), 10_000);
  });
});

describe("a request body sent a byte at a time", () => {
  it("is refused 400 once it has come in more pieces than 64 plus one per KiB, and the node answers others", async () => {
    const { hostname, port } = new URL(chain.node.rpc.url);
    const socket = connect(Number(port), hostname);
    sockets.push(socket);
    socket.setNoDelay(true); // each write a segment of its own: a read of one byte for the node
    let text = "";
    socket.on("data", (d: Buffer) => (text += d.toString("latin1")));
    socket.on("error", () => {});
    const length = 4000;
    socket.write(`POST / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\n`);
    socket.write(`Content-Length: ${length}\r\n\r\n`);
    await new Promise<void>((resolve) => socket.once("ready", resolve).once("connect", resolve));
    // Each byte held as an object of its own (~200-300 bytes of heap) before: 1 MiB a byte at a time, a
    // quarter of a GiB, within the body budget, which counts bytes.
    for (let i = 0; i < length && text === "" && !socket.destroyed; i++) {
      socket.write(" ");
      await new Promise((r) => setImmediate(r));
    }
    await waitFor("an answer", () => (text.includes("\r\n") ? true : undefined), 20_000);
    expect(text.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
    expect(text).toMatch(/too many pieces/);
    expect((await chain.client.node.getStatus()).chainId).toBe(chain.chainId);
  });
});

describe("a request body streamed in small writes", () => {
  it("is taken: a batch written one call (~100 bytes) at a time, as chunks of a chunked body", async () => {
    const url = new URL(chain.node.rpc.url);
    const calls = Array.from({ length: 300 }, (_, i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "node_getStatus" }));
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: Number(url.port), method: "POST", headers: { "content-type": "application/json" } },
        (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString("utf8")));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      void (async () => {
        req.write("[");
        for (const [i, call] of calls.entries()) {
          req.write(i === 0 ? call : `,${call}`); // one HTTP chunk each: one piece for the node
          await new Promise((r) => setImmediate(r));
        }
        req.end("]");
      })();
    });
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.body) as unknown[]).length).toBe(calls.length);
  });
});

describe("BodyBytes", () => {
  it("gives a connection at most two bodies of max_body_bytes, an address a quarter, and all of them the total", () => {
    const bodies = new BodyBytes(1000, 10_000); // an address's share: 2,500
    const [a, b] = [{}, {}];
    expect(bodies.take(a, "1.1.1.1", 1500)).toBe(true);
    expect(bodies.take(a, "1.1.1.1", 600)).toBe(false); // 2,100 past the connection's 2,000
    expect(bodies.take(a, "1.1.1.1", 500)).toBe(true);
    expect(bodies.take(b, "1.1.1.1", 600)).toBe(false); // 2,600 past the address's 2,500
    expect(bodies.take(b, "1.1.1.1", 500)).toBe(true);
    for (const client of ["2.2.2.2", "3.3.3.3", "4.4.4.4"]) expect(bodies.take({}, client, 2000)).toBe(true);
    expect(bodies.take({}, "5.5.5.5", 1500)).toBe(true); // 10,000: the total
    expect(bodies.take({}, "6.6.6.6", 1)).toBe(false);
    bodies.give(a, "1.1.1.1", 2000);
    expect(bodies.held).toBe(8000);
    expect(bodies.take({}, "6.6.6.6", 1)).toBe(true);
  });
});

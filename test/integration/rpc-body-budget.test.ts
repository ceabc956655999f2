import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BodyBytes, MAX_BUFFERED_BODY_BYTES } from "../../rpc/body-bytes.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * Request bodies waiting to be parsed are bounded node-wide and per connection (rpc/body-bytes.ts): each
 * connection's bodies (and pipelined ones queued behind a slow request) were held in full, up to ~9 GiB at the
 * defaults. Here 70 connections each send 1 MB of a 1 MiB body and stop: the node holds at most
 * MAX_BUFFERED_BODY_BYTES of them, answers the rest 503, and still serves others.
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
  it(`are at most ${MAX_BUFFERED_BODY_BYTES} bytes node-wide: past it a body is refused 503`, async () => {
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
    await waitFor("refusals past the budget", () => (statuses.length >= 70 - 67 ? true : undefined), 20_000);
    expect(chain.node.rpc.bodies.held).toBeLessThanOrEqual(MAX_BUFFERED_BODY_BYTES);
    expect(statuses.every((s) => s === "HTTP/1.1 503 Service Unavailable")).toBe(true);
    // The node still answers a request that fits.
    expect((await chain.client.node.getStatus()).chainId).toBe(chain.chainId);
    for (const s of sockets.splice(0)) s.destroy();
    await waitFor("the bodies given back", () => (chain.node.rpc.bodies.held === 0 ? true : undefined), 10_000);
  });
});

describe("BodyBytes", () => {
  it("gives a connection at most two bodies of max_body_bytes, and all of them the total", () => {
    const bodies = new BodyBytes(1000, 3000);
    const [a, b, c, d] = [{}, {}, {}, {}];
    expect(bodies.take(a, 1500)).toBe(true);
    expect(bodies.take(a, 600)).toBe(false); // 2,100 past its 2,000
    expect(bodies.take(a, 500)).toBe(true);
    expect(bodies.take(b, 900)).toBe(true);
    expect(bodies.take(c, 200)).toBe(false); // 3,100 past the total
    expect(bodies.take(c, 100)).toBe(true);
    bodies.give(a, 2000);
    expect(bodies.held).toBe(1000);
    expect(bodies.take(d, 2000)).toBe(true);
  });
});

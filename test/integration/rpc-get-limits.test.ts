import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_PIPELINED } from "../../rpc/server.ts";
import { httpRequest } from "../helpers/http-request.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/**
 * Issue 17: the GET routes are served behind the same limits as JSON-RPC, so opening them to strangers
 * gives a stranger no new way to hold the node's sockets or memory.
 */

const PER_IP = 4;
let chain: TestChain;
let host: string;
let port: number;
beforeAll(async () => {
  chain = await startTestChain({ rpc: { max_connections_per_ip: PER_IP, max_body_bytes: 4096 } });
  const url = new URL(chain.node.rpc.url);
  host = url.hostname;
  port = Number(url.port);
});
afterAll(async () => {
  await chain.stop();
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host, () => resolve(s));
    s.on("error", reject);
  });
}

/** Everything the server sends on `socket` until it closes it. */
function untilClosed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    socket.on("data", (d: Buffer) => (text += d.toString("latin1")));
    socket.on("close", () => resolve(text));
  });
}

describe("GET behind the RPC port's limits", () => {
  it("counts against rpc.max_connections_per_ip like a POST", async () => {
    const held = await Promise.all(Array.from({ length: PER_IP }, open));
    try {
      const refused = await httpRequest(`${chain.node.rpc.url}/health`);
      expect(refused.status).toBe(503);
      expect(refused.body).toContain("rpc.max_connections_per_ip");
    } finally {
      for (const s of held) s.destroy();
    }
    await expect.poll(async () => (await httpRequest(`${chain.node.rpc.url}/health`)).status).toBe(200);
  });

  it("refuses a GET whose body exceeds rpc.max_body_bytes", async () => {
    const res = await httpRequest(`${chain.node.rpc.url}/metrics`, { body: "x".repeat(8192) });
    expect(res.status).toBe(413);
  });

  it("closes a connection that pipelines more than MAX_PIPELINED GETs", async () => {
    const socket = await open();
    const answers = untilClosed(socket);
    const count = 4 * MAX_PIPELINED;
    socket.write(`GET /metrics HTTP/1.1\r\nhost: ${host}\r\n\r\n`.repeat(count));
    const text = await answers;
    const answered = text.split("HTTP/1.1 200").length - 1;
    expect(answered).toBeLessThan(count);
    expect(answered).toBeLessThanOrEqual(MAX_PIPELINED + 1);
  });
});

import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/**
 * Request targets no browser sends but a stranger may: `//`, `///`, `*`. The node read their path with
 * `new URL`, which throws on them: a WebSocket upgrade of `GET //` threw in the HTTP server's upgrade
 * listener, uncaught, and ended the node's process; a plain GET of `//` answered 500 and logged an error.
 * Each is now 404, and the node goes on.
 */

let chain: TestChain;

beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 50 });
}, 30_000);

afterAll(async () => {
  await chain?.stop();
});

/** Sends `head` (a request's head, CRLFs added) on a connection of its own; the answer's status line. */
function statusLine(head: string[]): Promise<string> {
  const { hostname, port } = new URL(chain.node.rpc.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = "";
    socket.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      if (text.includes("\r\n")) {
        socket.destroy();
        resolve(text.split("\r\n")[0]);
      }
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(text.split("\r\n")[0] || "closed"));
    socket.write(`${[...head, `Host: ${hostname}:${port}`, "", ""].join("\r\n")}`);
  });
}

const UPGRADE = ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"];

describe("odd request targets", () => {
  it("a WebSocket upgrade of //, /// or * is refused 404, and the node goes on", async () => {
    for (const target of ["//", "///", "*", "//ws"]) {
      expect(await statusLine([`GET ${target} HTTP/1.1`, ...UPGRADE]), target).toBe("HTTP/1.1 404 Not Found");
    }
    const height = chain.node.app.info().height;
    await chain.waitForHeight(height + 2);
    expect((await chain.client.node.getStatus()).chainId).toBe(chain.chainId);
    // The WebSocket is still served on its path.
    expect(await statusLine(["GET /ws HTTP/1.1", ...UPGRADE])).toBe("HTTP/1.1 101 Switching Protocols");
  });

  it("a GET of // or /// is 404, not 500; a path with a query still finds its route", async () => {
    for (const target of ["//", "///", "//health"]) {
      expect(await statusLine([`GET ${target} HTTP/1.1`, "Connection: close"]), target).toBe("HTTP/1.1 404 Not Found");
    }
    expect(await statusLine(["GET /health?verbose=1 HTTP/1.1", "Connection: close"])).toBe("HTTP/1.1 200 OK");
    // The absolute form a proxy may send names the same path.
    const { host } = new URL(chain.node.rpc.url);
    expect(await statusLine([`GET http://${host}/health HTTP/1.1`, "Connection: close"])).toBe("HTTP/1.1 200 OK");
  });
});

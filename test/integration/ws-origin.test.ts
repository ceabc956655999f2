import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/**
 * Browsers do not apply CORS to WebSockets: a page of any site may open ws://node/ws unless the node itself
 * checks the Origin header the browser sends. The node allows the origins of rpc.cors_allowed_origins (and
 * clients that send no Origin: not browsers).
 */

type Outcome =
  | { opened: true; answer: { result?: { height: number } } }
  | { opened: false; status: number; body: string };

/** Opens /ws with `origin` (none: no Origin header) and asks for block 1. */
function tryOrigin(chain: TestChain, origin: string | undefined): Promise<Outcome> {
  const url = chain.node.rpc.url.replace(/^http/, "ws") + "/ws";
  const ws = new WebSocket(url, origin === undefined ? {} : { origin });
  return new Promise<Outcome>((resolve, reject) => {
    ws.on("open", () => ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "chain_getBlockResults", params: { height: 1 } })));
    ws.on("message", (d) => {
      ws.close();
      resolve({ opened: true, answer: JSON.parse(d.toString()) as { result?: { height: number } } });
    });
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ opened: false, status: res.statusCode ?? 0, body }));
    });
    ws.on("error", reject);
  });
}

describe("with no origin allowed (the default)", () => {
  let chain: TestChain;
  beforeAll(async () => {
    chain = await startTestChain({ blockIntervalMs: 50 });
    await chain.waitForHeight(2);
  }, 30_000);
  afterAll(async () => {
    await chain?.stop();
  });

  it("a page of another site is refused with 403 and a reason", async () => {
    const outcome = await tryOrigin(chain, "https://evil.example");
    expect(outcome.opened).toBe(false);
    if (outcome.opened) return;
    expect(outcome.status).toBe(403);
    expect(outcome.body).toContain("cors_allowed_origins");
    expect(chain.node.websocket.stats.connections).toBe(0);
  });

  it("the node's own pages (the explorer at GET /: Origin is the host the browser asked) are served", async () => {
    const host = new URL(chain.node.rpc.url).host;
    expect(await tryOrigin(chain, `http://${host}`)).toMatchObject({ opened: true, answer: { result: { height: 1 } } });
    // Behind a proxy that terminates TLS the page's origin is https: on the same host.
    expect(await tryOrigin(chain, `https://${host}`)).toMatchObject({ opened: true });
    // Another port of the same machine is another site.
    expect(await tryOrigin(chain, "http://127.0.0.1:1")).toMatchObject({ opened: false, status: 403 });
  });

  it("a client that sends no Origin (not a browser) is served", async () => {
    const outcome = await tryOrigin(chain, undefined);
    expect(outcome).toMatchObject({ opened: true, answer: { result: { height: 1 } } });
  });
});

describe("with one origin allowed", () => {
  let chain: TestChain;
  beforeAll(async () => {
    chain = await startTestChain({ blockIntervalMs: 50, rpc: { cors_allowed_origins: ["https://app.example"] } });
    await chain.waitForHeight(2);
  }, 30_000);
  afterAll(async () => {
    await chain?.stop();
  });

  it("that origin's pages are served, another's are refused with 403", async () => {
    expect(await tryOrigin(chain, "https://app.example")).toMatchObject({ opened: true, answer: { result: { height: 1 } } });
    expect(await tryOrigin(chain, "https://other.example")).toMatchObject({ opened: false, status: 403 });
  });
});

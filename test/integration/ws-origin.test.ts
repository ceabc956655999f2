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

/** Opens /ws with `origin` (none: no Origin header) and asks for block 1; `host`: the Host header sent. */
function tryOrigin(chain: TestChain, origin: string | undefined, host?: string): Promise<Outcome> {
  const url = chain.node.rpc.url.replace(/^http/, "ws") + "/ws";
  const headers = host === undefined ? {} : { headers: { host } };
  const ws = new WebSocket(url, origin === undefined ? headers : { origin, ...headers });
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

  it("a page of a name that resolves to this node (DNS rebinding) is refused: its Host is no name of the node", async () => {
    const { port } = new URL(chain.node.rpc.url);
    // evil.example first resolved to the attacker, then to 127.0.0.1: the page's origin and Host agree.
    const rebound = await tryOrigin(chain, `http://evil.example:${port}`, `evil.example:${port}`);
    expect(rebound).toMatchObject({ opened: false, status: 403 });
    // The same check and words as POST / (rpc/host-names.ts).
    expect(rebound.opened === false && rebound.body).toContain("DNS rebinding");
    // The names a browser reaches this node by directly: localhost and IP literals.
    expect(await tryOrigin(chain, `http://localhost:${port}`, `localhost:${port}`)).toMatchObject({ opened: true });
    expect(await tryOrigin(chain, `http://[::1]:${port}`, `[::1]:${port}`)).toMatchObject({ opened: true });
    expect(await tryOrigin(chain, `http://10.1.2.3:${port}`, `10.1.2.3:${port}`)).toMatchObject({ opened: true });
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
    // The explorer on the node's port under that name (the operator's DNS, not an attacker's) is its own page.
    const { port } = new URL(chain.node.rpc.url);
    expect(await tryOrigin(chain, `http://app.example:${port}`, `app.example:${port}`)).toMatchObject({ opened: true });
    expect(await tryOrigin(chain, `http://other.example:${port}`, `other.example:${port}`)).toMatchObject({ opened: false, status: 403 });
  });
});

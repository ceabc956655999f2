import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpRequest } from "../helpers/http-request.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/**
 * DNS rebinding over HTTP: a page of evil.example whose name the attacker's DNS then points at 127.0.0.1 is,
 * for the browser, the same origin as the node: it may POST JSON-RPC and read every answer, CORS or not. Its
 * requests give it away: they carry an Origin (every browser POST does) and the Host evil.example:PORT, no
 * name of the node. Such requests are refused (403) like /ws refuses the upgrade; clients that send no Origin
 * (the CLI, curl, scripts: not browsers) are served whatever name they reached the node by.
 */

const call = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "node_getStatus", params: {} });

/** A POST as a browser page sends it: `origin` (the page's) and `host` (the name it asked for). */
function post(chain: TestChain, headers: { origin?: string; host?: string }) {
  return httpRequest(chain.node.rpc.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: call,
  });
}

describe("with no origin allowed (the default)", () => {
  let chain: TestChain;
  let port: string;
  beforeAll(async () => {
    chain = await startTestChain();
    port = new URL(chain.node.rpc.url).port;
  });
  afterAll(async () => {
    await chain?.stop();
  });

  it("a page of a name rebound to the node is refused with 403, saying why and what allows a name", async () => {
    const answer = await post(chain, { origin: `http://evil.example:${port}`, host: `evil.example:${port}` });
    expect(answer.status).toBe(403);
    const body = JSON.parse(answer.body) as { error: { code: number; message: string }; result?: unknown };
    expect(body.result).toBeUndefined();
    expect(body.error.code).toBe(-32600);
    expect(body.error.message).toContain("evil.example");
    expect(body.error.message).toContain("DNS rebinding");
    expect(body.error.message).toContain("rpc.cors_allowed_origins");
    // A page may hide its origin (referrer policy no-referrer: Origin "null"); the Host still gives it away.
    expect((await post(chain, { origin: "null", host: `evil.example:${port}` })).status).toBe(403);
    // Nor may it read the GET routes with an Origin, or pass a preflight.
    const get = await httpRequest(`${chain.node.rpc.url}/health`, { headers: { origin: `http://evil.example:${port}`, host: `evil.example:${port}` } });
    expect(get.status).toBe(403);
    const preflight = await httpRequest(chain.node.rpc.url, {
      method: "OPTIONS",
      headers: { "origin": `http://evil.example:${port}`, "host": `evil.example:${port}`, "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(403);
    // A same-origin GET has no Origin: over plain http a browser's gives itself away by its User-Agent only.
    const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
    for (const path of ["/health", "/metrics", "/"]) {
      const page = await httpRequest(`${chain.node.rpc.url}${path}`, { headers: { "host": `evil.example:${port}`, "user-agent": chrome } });
      expect(page.status, path).toBe(403);
      expect(page.body, path).toContain("DNS rebinding");
      const own = await httpRequest(`${chain.node.rpc.url}${path}`, { headers: { "host": `127.0.0.1:${port}`, "user-agent": chrome } });
      expect(own.status, path).toBe(200);
      const script = await httpRequest(`${chain.node.rpc.url}${path}`, { headers: { "host": `evil.example:${port}`, "user-agent": "curl/8.5.0" } });
      expect(script.status, path).toBe(200);
    }
  });

  it("the node's own names are served to pages: 127.0.0.1, localhost, [::1], a LAN address", async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `10.1.2.3:${port}`, "localhost"]) {
      const answer = await post(chain, { origin: `http://${host}`, host });
      expect(answer.status, host).toBe(200);
      expect(JSON.parse(answer.body), host).toMatchObject({ result: { chainId: chain.chainId } });
    }
    // A page of another site calling 127.0.0.1 (not rebound): served as before, unreadable to it without CORS.
    const crossSite = await post(chain, { origin: "https://other.example", host: `127.0.0.1:${port}` });
    expect(crossSite.status).toBe(200);
  });

  it("a client that sends no Origin (not a browser) is served under any name: a proxy's, a container's", async () => {
    for (const host of [`node0:${port}`, `rpc.example.org`, `127.0.0.1:${port}`]) {
      const answer = await post(chain, { host });
      expect(answer.status, host).toBe(200);
      expect(JSON.parse(answer.body), host).toMatchObject({ result: { chainId: chain.chainId } });
    }
    expect((await chain.client.node.getStatus()).chainId).toBe(chain.chainId);
  });
});

describe("with an origin allowed", () => {
  let chain: TestChain;
  let port: string;
  beforeAll(async () => {
    chain = await startTestChain({ rpc: { cors_allowed_origins: ["https://app.example"] } });
    port = new URL(chain.node.rpc.url).port;
  });
  afterAll(async () => {
    await chain?.stop();
  });

  it("its host is a name of the node (the operator's DNS), another name is still refused", async () => {
    const own = await post(chain, { origin: `http://app.example:${port}`, host: `app.example:${port}` });
    expect(own.status).toBe(200);
    expect(JSON.parse(own.body)).toMatchObject({ result: { chainId: chain.chainId } });
    const rebound = await post(chain, { origin: `http://evil.example:${port}`, host: `evil.example:${port}` });
    expect(rebound.status).toBe(403);
  });

  it("that origin's pages are served through a proxy that passes its own Host on", async () => {
    const proxied = await post(chain, { origin: "https://app.example", host: "rpc.internal:8080" });
    expect(proxied.status).toBe(200);
  });
});

describe("with \"*\" allowed", () => {
  it("any page may call the node and read the answer anyway: nothing is refused", async () => {
    const chain = await startTestChain({ rpc: { cors_allowed_origins: ["*"] } });
    try {
      const { port } = new URL(chain.node.rpc.url);
      const answer = await post(chain, { origin: `http://evil.example:${port}`, host: `evil.example:${port}` });
      expect(answer.status).toBe(200);
    } finally {
      await chain.stop();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corsHeaders, httpRequest } from "../helpers/http-request.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/**
 * Issue 17, CORS: a browser app served from elsewhere may call the node only when the operator allows its
 * origin (rpc.cors_allowed_origins); by default the node sends no CORS headers at all. Real HTTP, with the
 * headers a browser sends.
 */

const APP = "https://app.example";
const call = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "node_getStatus", params: {} });
const preflight = (origin: string) => ({
  method: "OPTIONS",
  headers: { "origin": origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
});
const post = (origin: string) => ({
  method: "POST",
  headers: { "origin": origin, "content-type": "application/json" },
  body: call,
});

describe("CORS with no origin configured (the default)", () => {
  let chain: TestChain;
  beforeAll(async () => {
    chain = await startTestChain();
  });
  afterAll(async () => {
    await chain.stop();
  });

  it("sends no CORS header on a preflight, a POST or a GET", async () => {
    const url = chain.node.rpc.url;
    const pre = await httpRequest(url, preflight(APP));
    expect(pre.status).toBe(204);
    expect(pre.headers.allow).toBe("GET, POST, OPTIONS");
    expect(corsHeaders(pre)).toEqual({});
    const answer = await httpRequest(url, post(APP));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ result: { chainId: chain.chainId } });
    expect(corsHeaders(answer)).toEqual({});
    expect(corsHeaders(await httpRequest(`${url}/health`, { headers: { origin: APP } }))).toEqual({});
  });
});

describe("CORS with an allowed origin", () => {
  let chain: TestChain;
  beforeAll(async () => {
    chain = await startTestChain({ rpc: { cors_allowed_origins: [APP] } });
  });
  afterAll(async () => {
    await chain.stop();
  });

  it("answers that origin's preflight with the methods, the header and a max age", async () => {
    const pre = await httpRequest(chain.node.rpc.url, preflight(APP));
    expect(pre.status).toBe(204);
    expect(corsHeaders(pre)).toEqual({
      "access-control-allow-origin": APP,
      "access-control-allow-methods": "GET, POST, OPTIONS",
      "access-control-allow-headers": "content-type",
      "access-control-max-age": "7200",
    });
    expect(pre.headers.vary).toBe("Origin");
  });

  it("names the origin on its POST and GET answers, and on errors too", async () => {
    const url = chain.node.rpc.url;
    const answer = await httpRequest(url, post(APP));
    expect(JSON.parse(answer.body)).toMatchObject({ result: { chainId: chain.chainId } });
    expect(corsHeaders(answer)).toEqual({ "access-control-allow-origin": APP });
    for (const path of ["/health", "/metrics", "/", "/missing"]) {
      const get = await httpRequest(`${url}${path}`, { headers: { origin: APP } });
      expect(corsHeaders(get), path).toEqual({ "access-control-allow-origin": APP });
    }
    const refused = await httpRequest(url, { method: "DELETE", headers: { origin: APP } });
    expect(refused.status).toBe(405);
    expect(corsHeaders(refused)).toEqual({ "access-control-allow-origin": APP });
  });

  it("sends nothing for another origin, or a request without one", async () => {
    const url = chain.node.rpc.url;
    expect(corsHeaders(await httpRequest(url, preflight("https://evil.example")))).toEqual({});
    expect(corsHeaders(await httpRequest(url, post("https://evil.example")))).toEqual({});
    expect(corsHeaders(await httpRequest(url, post(`${APP}.evil.example`)))).toEqual({});
    expect(corsHeaders(await httpRequest(url, { method: "POST", body: call }))).toEqual({});
  });
});

describe("CORS with \"*\"", () => {
  it("allows any origin, naming none", async () => {
    const chain = await startTestChain({ rpc: { cors_allowed_origins: ["*"] } });
    try {
      const pre = await httpRequest(chain.node.rpc.url, preflight("http://localhost:5173"));
      expect(corsHeaders(pre)["access-control-allow-origin"]).toBe("*");
      const answer = await httpRequest(chain.node.rpc.url, post("https://anyone.example"));
      expect(corsHeaders(answer)).toEqual({ "access-control-allow-origin": "*" });
    } finally {
      await chain.stop();
    }
  });
});

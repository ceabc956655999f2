import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { launchBrowser, type TestBrowser } from "./browser.ts";

/**
 * DNS rebinding in a real browser: Chromium resolves evil.example (the attacker's name) and node.lan (the
 * operator's) to 127.0.0.1, as a rebound DNS answer would (--host-resolver-rules). A page of evil.example is
 * then the node's own origin for the browser; the node refuses its JSON-RPC calls and its WebSocket, and
 * serves the same page opened under 127.0.0.1, or under a name listed in rpc.cors_allowed_origins.
 */

let chain: TestChain;
/** The same chain's node with /metrics on a listener of its own ([metrics] listen). */
let apart: TestChain;
let browser: TestBrowser;
let page: Page;
let port: string;

beforeAll(async () => {
  chain = await startTestChain({ rpc: { cors_allowed_origins: ["http://node.lan"] } });
  apart = await startTestChain({ metrics: { listen: "127.0.0.1:0" } });
  port = new URL(chain.node.rpc.url).port;
  browser = await launchBrowser(["--host-resolver-rules=MAP evil.example 127.0.0.1, MAP node.lan 127.0.0.1"]);
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await chain?.stop();
  await apart?.stop();
});

/**
 * What the page at `origin` reads with same-origin GETs (fetch, and an iframe it then reads): a browser sends
 * no Origin on them, only Sec-Fetch-Site: same-origin, so a check of Origin alone let them through.
 */
async function readsFrom(origin: string, path: string): Promise<{ status: number; body: string; frame: string }> {
  await page.goto(`${origin}/health`);
  // As a string: the page's DOM (document, an iframe) is not in this file's types.
  return page.evaluate(`(async () => {
    const res = await fetch(${JSON.stringify(path)});
    const frame = await new Promise((resolve) => {
      const f = document.createElement("iframe");
      f.onload = () => resolve(f.contentDocument?.body?.innerText ?? "");
      f.src = ${JSON.stringify(path)};
      document.body.appendChild(f);
    });
    return { status: res.status, body: await res.text(), frame };
  })()`);
}

/** What a same-origin POST / and a /ws connection from the page at `origin` get. */
async function callsFrom(origin: string): Promise<{ status: number; body: string; ws: string }> {
  await page.goto(`${origin}/health`);
  return page.evaluate(async (host) => {
    const res = await fetch("/", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "node_getStatus", params: {} }),
    });
    const ws = await new Promise<string>((resolve) => {
      const socket = new WebSocket(`ws://${host}/ws`);
      socket.onopen = () => {
        socket.close();
        resolve("open");
      };
      socket.onerror = () => resolve("refused");
    });
    return { status: res.status, body: await res.text(), ws };
  }, new URL(origin).host);
}

describe("a page whose name was rebound to the node", () => {
  it("gets 403 on its JSON-RPC calls, saying why, and no WebSocket", async () => {
    const evil = await callsFrom(`http://evil.example:${port}`);
    expect(evil.status).toBe(403);
    expect(evil.body).toContain("DNS rebinding");
    expect(evil.ws).toBe("refused");
  });

  it("gets 403 on its same-origin GETs too (/health, /metrics, the explorer), and reads nothing of them", async () => {
    for (const path of ["/health", "/metrics", "/"]) {
      const evil = await readsFrom(`http://evil.example:${port}`, path);
      expect(evil.status, path).toBe(403);
      expect(evil.body, path).toContain("DNS rebinding");
      expect(evil.frame, path).toContain("DNS rebinding");
      expect(evil.body, path).not.toContain("opl_");
    }
    const own = await readsFrom(`http://127.0.0.1:${port}`, "/metrics");
    expect(own.status).toBe(200);
    expect(own.body).toContain("opl_block_height");
  });

  it("gets 403 from a separate [metrics] listener too, which serves its own names", async () => {
    const metricsPort = new URL(apart.node.metricsUrl ?? "").port;
    const evil = await readsFrom(`http://evil.example:${metricsPort}`, "/metrics");
    expect(evil.status).toBe(403);
    expect(evil.body).toContain("DNS rebinding");
    expect(evil.body).not.toContain("opl_");
    const own = await readsFrom(`http://127.0.0.1:${metricsPort}`, "/metrics");
    expect(own.status).toBe(200);
    expect(own.body).toContain("opl_block_height");
  });

  it("the same calls from the node's own names are served: 127.0.0.1, and a name in cors_allowed_origins", async () => {
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://node.lan:${port}`]) {
      const own = await callsFrom(origin);
      expect(own.status, origin).toBe(200);
      expect(JSON.parse(own.body), origin).toMatchObject({ result: { chainId: chain.chainId } });
      expect(own.ws, origin).toBe("open");
    }
  });
});

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64 } from "../../crypto/bytes.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { httpRequest } from "../helpers/http-request.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { type Family, labelValues, parsePrometheusText, sampleValue } from "../helpers/prometheus-text.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * Issue 17, metrics and the GET side of the RPC port, as an operator's scraper and a curious user see them:
 * real node in this process, real HTTP.
 */

let chain: TestChain;
beforeAll(async () => {
  chain = await startTestChain();
  await chain.waitForHeight(2);
});
afterAll(async () => {
  await chain.stop();
});

async function scrape(url = chain.node.rpc.url): Promise<Map<string, Family>> {
  const res = await httpRequest(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(res.body);
}

describe("GET /metrics", () => {
  it("is strict Prometheus text whose height and tx counters move with blocks and txs", async () => {
    const before = await scrape();
    const height = sampleValue(before, "opl_block_height");
    expect(height).toBeGreaterThanOrEqual(2);
    const committed = sampleValue(before, "opl_committed_txs_total");
    const intervals = sampleValue(before, "opl_block_interval_seconds_count");
    const verified = sampleValue(before, "opl_verify_signatures_total");

    const tx = chain.faucet.transfer(chain.chainId, new TestAccount().address, 5n, 10n ** 15n);
    await chain.rpc.call("tx_submit", { tx: toBase64(tx.bytes) });
    const after = await waitFor("the transfer counted as committed", async () => {
      const m = await scrape();
      return sampleValue(m, "opl_committed_txs_total") >= committed + 1 ? m : undefined;
    });

    expect(sampleValue(after, "opl_block_height")).toBeGreaterThan(height);
    expect(sampleValue(after, "opl_block_interval_seconds_count")).toBeGreaterThan(intervals);
    expect(sampleValue(after, "opl_block_txs_sum")).toBeGreaterThanOrEqual(1);
    expect(sampleValue(after, "opl_consensus_height_rounds_count")).toBeGreaterThan(0);
    expect(sampleValue(after, "opl_block_commit_batch_duration_seconds_count")).toBeGreaterThan(0);
    expect(sampleValue(after, "opl_wal_fsync_duration_seconds_count")).toBeGreaterThan(0);
    expect(sampleValue(after, "opl_block_time_seconds")).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(sampleValue(after, "opl_rpc_requests_total", { method: "tx_submit", outcome: "ok" })).toBe(1);
    expect(sampleValue(after, "opl_rpc_request_duration_seconds_count", { method: "tx_submit" })).toBe(1);
    expect(sampleValue(after, "opl_mempool_txs")).toBeGreaterThanOrEqual(0);
    expect(sampleValue(after, "opl_mempool_bytes")).toBeGreaterThanOrEqual(0);
    expect(sampleValue(after, "opl_peers", { direction: "inbound" })).toBe(0);
    expect(sampleValue(after, "opl_peers", { direction: "outbound" })).toBe(0);
    expect(sampleValue(after, "opl_block_sync_catching_up")).toBe(0);
    expect(sampleValue(after, "opl_verify_pool_pending_signatures")).toBeGreaterThanOrEqual(0);
    expect(sampleValue(after, "opl_verify_signatures_total")).toBeGreaterThanOrEqual(verified + 1); // the transfer's
    expect(sampleValue(after, "opl_rpc_subscriptions")).toBe(0);
    expect(sampleValue(after, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(after.has("nodejs_eventloop_lag_seconds")).toBe(true);
  });

  it("counts calls to unknown methods under one label value: a stranger cannot add series", async () => {
    const before = await scrape();
    const methods = labelValues(before, "opl_rpc_requests_total", "method");
    const timed = labelValues(before, "opl_rpc_request_duration_seconds", "method");
    const other = sampleValue(before, "opl_rpc_requests_total", { method: "other", outcome: "error" });
    await chain.rpc.batch([
      { method: "no_such_method", params: {} },
      { method: `x${"y".repeat(200)}`, params: {} },
    ]);
    // A scrape within RENDER_EVERY_MS of the last gets that one: poll until the calls show.
    const after = await waitFor("the calls counted", async () => {
      const m = await scrape();
      return sampleValue(m, "opl_rpc_requests_total", { method: "other", outcome: "error" }) > other ? m : undefined;
    });
    expect(labelValues(after, "opl_rpc_requests_total", "method")).toEqual(methods);
    expect(labelValues(after, "opl_rpc_request_duration_seconds", "method")).toEqual(timed);
    expect(sampleValue(after, "opl_rpc_requests_total", { method: "other", outcome: "error" })).toBe(other + 2);
  });

  it("names in the README every metric the node exports, and no other", async () => {
    const exported = [...(await scrape()).keys()];
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("## Metrics and health"));
    const documented = new Set(
      [...section.slice(0, section.indexOf("\n## ", 5)).matchAll(/^\| `(opl_[a-z_]+)`/gm)].map((m) => m[1]),
    );
    expect(new Set(exported.filter((n) => n.startsWith("opl_")))).toEqual(documented);
    // The rest are prom-client's standard process and Node.js metrics, which the README names as a group.
    expect(exported.filter((n) => !/^(opl|process|nodejs)_/.test(n))).toEqual([]);
  });
});

describe("GET on the RPC port", () => {
  it("/health answers 200 with the height, the last block's age, peers and catching up", async () => {
    const res = await httpRequest(`${chain.node.rpc.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(body).toMatchObject({ healthy: true, catchingUp: false, peers: 0, reasons: [] });
    expect(body.height).toBeGreaterThanOrEqual(2);
    expect(body.lastBlockAgeMs).toBeGreaterThanOrEqual(0);
    expect(body.lastBlockAgeMs).toBeLessThan(body.maxBlockAgeMs as number);
  });

  it("/ describes the endpoints to a JSON client, and points a browser at them", async () => {
    const json = await httpRequest(`${chain.node.rpc.url}/`, { headers: { accept: "application/json" } });
    expect(json.status).toBe(200);
    expect(json.headers["content-type"]).toMatch(/^application\/json/);
    const description = JSON.parse(json.body) as {
      chainId: string;
      endpoints: { method: string; path: string; description: string }[];
      rpcMethods: string[];
    };
    expect(description.chainId).toBe(chain.chainId);
    const routes = description.endpoints.map((e) => `${e.method} ${e.path}`);
    expect(routes).toEqual(expect.arrayContaining(["POST /", "GET /metrics", "GET /health", "GET /"]));
    expect(description.rpcMethods).toContain("node_getStatus");

    const page = await httpRequest(`${chain.node.rpc.url}/`, { headers: { accept: "text/html,*/*;q=0.8" } });
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.body).toContain("href=\"/metrics\"");
    expect(page.body).toContain("href=\"/health\"");
  });

  it("answers other paths 404 with a JSON body, and other methods 405", async () => {
    const missing = await httpRequest(`${chain.node.rpc.url}/nothing/here?x=1`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ error: expect.stringContaining("/nothing/here") });
    const put = await httpRequest(`${chain.node.rpc.url}/`, { method: "PUT", body: "{}" });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe("GET, POST, OPTIONS");
    // JSON-RPC still answers on the same port.
    expect(await chain.rpc.call("node_getStatus")).toMatchObject({ chainId: chain.chainId });
  });
});

describe("a separate [metrics] listener", () => {
  it("serves /metrics there (and only that), no longer on the RPC port", async () => {
    const own = await startTestChain({ metrics: { listen: "127.0.0.1:0" } });
    try {
      const url = own.node.metricsUrl;
      expect(url).toBeDefined();
      expect(url).not.toBe(own.node.rpc.url);
      await own.waitForHeight(1);
      expect(sampleValue(await scrape(url), "opl_block_height")).toBeGreaterThanOrEqual(1);
      expect((await httpRequest(`${url}/health`)).status).toBe(404);
      expect((await httpRequest(`${url}/metrics`, { method: "POST", body: "{}" })).status).toBe(405);
      const onRpc = await httpRequest(`${own.node.rpc.url}/metrics`);
      expect(onRpc.status).toBe(404);
      expect((await httpRequest(`${own.node.rpc.url}/health`)).status).toBe(200);
    } finally {
      await own.stop();
    }
  });
});

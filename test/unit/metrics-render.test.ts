import { describe, expect, it } from "vitest";
import { type MetricSources, NodeMetrics, RENDER_EVERY_MS, UNKNOWN_METHOD } from "../../node/metrics.ts";
import { parsePrometheusText, sampleValue } from "../helpers/prometheus-text.ts";

const sources: MetricSources = {
  height: () => 7,
  lastBlockTimeMs: () => 1_700_000_000_000,
  round: () => 0,
  mempool: () => ({ txs: 3, bytes: 900 }),
  connections: () => [
    { peer: "a", direction: "inbound" },
    { peer: "a", direction: "inbound" }, // a second connection of one peer counts once
    { peer: "b", direction: "outbound" },
  ],
  catchingUp: () => false,
  bestPeerHeight: () => 7,
  verifyPending: () => 0,
  verifySignatures: () => 0,
  verifyMessages: () => 0,
};

describe("NodeMetrics", () => {
  it("renders at most once per RENDER_EVERY_MS: a scrape sooner gets the last rendering", async () => {
    let clock = 0;
    const metrics = new NodeMetrics({ rpcMethods: ["node_getStatus"], sources, now: () => clock });
    const first = (await metrics.exposition()).body;
    metrics.called("node_getStatus", 0.001, true);
    clock += RENDER_EVERY_MS - 1;
    expect((await metrics.exposition()).body).toBe(first);
    clock += 1;
    const fresh = parsePrometheusText((await metrics.exposition()).body);
    expect(sampleValue(fresh, "opl_rpc_requests_total", { method: "node_getStatus", outcome: "ok" })).toBe(1);
  });

  it("reads the node at scrape time, peers once per direction", async () => {
    const m = parsePrometheusText((await new NodeMetrics({ rpcMethods: [], sources }).exposition()).body);
    expect(sampleValue(m, "opl_block_height")).toBe(7);
    expect(sampleValue(m, "opl_block_time_seconds")).toBe(1_700_000_000);
    expect(sampleValue(m, "opl_mempool_txs")).toBe(3);
    expect(sampleValue(m, "opl_mempool_bytes")).toBe(900);
    expect(sampleValue(m, "opl_peers", { direction: "inbound" })).toBe(1);
    expect(sampleValue(m, "opl_peers", { direction: "outbound" })).toBe(1);
  });

  it("counts the verify workers' signatures and messages as counters that follow the pool at each rendering", async () => {
    let clock = 0;
    let sent = 5;
    let messages = 2;
    const metrics = new NodeMetrics({
      rpcMethods: [],
      sources: { ...sources, verifySignatures: () => sent, verifyMessages: () => messages },
      now: () => clock,
    });
    const first = parsePrometheusText((await metrics.exposition()).body);
    expect(first.get("opl_verify_signatures_total")?.type).toBe("counter");
    expect(first.get("opl_verify_messages_total")?.type).toBe("counter");
    expect(sampleValue(first, "opl_verify_signatures_total")).toBe(5);
    expect(sampleValue(first, "opl_verify_messages_total")).toBe(2);
    sent = 1_234_567;
    messages = 4_321;
    clock += RENDER_EVERY_MS;
    const later = parsePrometheusText((await metrics.exposition()).body);
    expect(sampleValue(later, "opl_verify_signatures_total")).toBe(1_234_567);
    expect(sampleValue(later, "opl_verify_messages_total")).toBe(4_321);
  });

  it("observes blocks: the interval between consecutive header times, rounds, txs", async () => {
    const metrics = new NodeMetrics({ rpcMethods: [], sources });
    const block = (height: number, timeMs: number, round: number, numTxs: number) =>
      metrics.blockCommitted({ height, hash: new Uint8Array(32), timeMs, numTxs, txs: [], round, batchMs: 2 });
    block(8, 1_700_000_001_500, 0, 4);
    block(9, 1_700_000_002_000, 2, 0);
    const m = parsePrometheusText((await metrics.exposition()).body);
    expect(sampleValue(m, "opl_block_interval_seconds_count")).toBe(2);
    expect(sampleValue(m, "opl_block_interval_seconds_sum")).toBe(2);
    expect(sampleValue(m, "opl_consensus_height_rounds_sum")).toBe(1 + 3);
    expect(sampleValue(m, "opl_block_txs_sum")).toBe(4);
    expect(sampleValue(m, "opl_committed_txs_total")).toBe(4);
    expect(sampleValue(m, "opl_block_commit_batch_duration_seconds_sum")).toBe(0.004);
  });

  it("counts unknown method names as one label value, and times known methods only", async () => {
    const metrics = new NodeMetrics({ rpcMethods: ["node_getStatus"], sources });
    for (let i = 0; i < 100; i++) metrics.called(`junk_${i}`, 0.001, false);
    const m = parsePrometheusText((await metrics.exposition()).body);
    expect(sampleValue(m, "opl_rpc_requests_total", { method: UNKNOWN_METHOD, outcome: "error" })).toBe(100);
    expect(m.get("opl_rpc_requests_total")?.samples).toHaveLength(4); // {node_getStatus, other} x {ok, error}
    expect(m.get("opl_rpc_request_duration_seconds")?.samples ?? []).toHaveLength(0);
  });
});

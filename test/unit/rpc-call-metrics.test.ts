import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { type MetricSources, NodeMetrics, UNKNOWN_METHOD } from "../../node/metrics.ts";

const sources: MetricSources = {
  height: () => 1,
  lastBlockTimeMs: () => 1_700_000_000_000,
  round: () => 0,
  mempool: () => ({ txs: 0, bytes: 0 }),
  connections: () => [],
  catchingUp: () => false,
  bestPeerHeight: () => 1,
  verifyPending: () => 0,
  verifySignatures: () => 0,
  verifyMessages: () => 0,
};

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/** The lines of the two RPC metric families in a rendering. */
function rpcLines(text: string): string[] {
  return text.split("\n").filter((l) => /opl_rpc_request(s_total|_duration_seconds)/.test(l));
}

describe("RPC call metrics", () => {
  it("render as prom-client's Counter and Histogram render the same calls", async () => {
    const methods = ["tx_submit", "node_getStatus", "chain_getBlock"];
    const metrics = new NodeMetrics({ rpcMethods: methods, sources });
    // What NodeMetrics counted with prom-client before: a Counter with every series made at start, a Histogram.
    const registry = new Registry();
    const requests = new Counter({
      name: "opl_rpc_requests_total",
      help: `JSON-RPC calls by method (unknown names count as "${UNKNOWN_METHOD}") and outcome (ok or error).`,
      labelNames: ["method", "outcome"],
      registers: [registry],
    });
    const duration = new Histogram({
      name: "opl_rpc_request_duration_seconds",
      help: "Time to answer a JSON-RPC call to a known method, by method.",
      labelNames: ["method"],
      buckets: BUCKETS,
      registers: [registry],
    });
    for (const method of [...methods, UNKNOWN_METHOD]) {
      for (const outcome of ["ok", "error"]) requests.inc({ method, outcome }, 0);
    }
    const calls: [string, number, boolean][] = [
      ["node_getStatus", 0.0004, true],
      ["tx_submit", 0.0005, true], // on a bucket's bound: in that bucket
      ["tx_submit", 0.003, false],
      ["junk", 0.2, false],
      ["tx_submit", 11, true], // past the last bound: +Inf only
      ["node_getStatus", 0.0731, true],
    ];
    for (const [method, seconds, ok] of calls) {
      metrics.called(method, seconds, ok);
      const known = methods.includes(method);
      requests.inc({ method: known ? method : UNKNOWN_METHOD, outcome: ok ? "ok" : "error" });
      if (known) duration.observe({ method }, seconds);
    }
    const ours = rpcLines((await metrics.exposition()).body);
    const theirs = rpcLines(await registry.metrics());
    expect(ours.length).toBeGreaterThan(20);
    // Series order aside (the histogram's follows the first call of each method there), the same lines.
    expect([...ours].sort()).toEqual([...theirs].sort());
  });
});

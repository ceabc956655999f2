import type { Registry } from "prom-client";

/**
 * opl_rpc_requests_total and opl_rpc_request_duration_seconds, counted without allocating per call. Every
 * JSON-RPC call is counted (a batch of 250 tx_submit calls, 250 times), and prom-client's Counter.inc and
 * Histogram.observe build a label hash string, a labels object and a result object for each (with the
 * caller's label literal, ~600 bytes per call, measured with test/bench/alloc-top.ts). Here a call adds to
 * numbers kept per method, and the two metrics are rendered from them when scraped, in prom-client's own
 * format (registered as metrics of the node's registry: name, help, type and get(), which is what the
 * registry reads). test/unit/rpc-call-metrics.test.ts holds the rendering to prom-client's.
 */

/** The numbers of one method's calls (a label value of the two metrics). */
interface Tally {
  ok: number;
  error: number;
  /** Calls timed (calls to known methods), their summed seconds, and how many fell in each bucket (not cumulative). */
  count: number;
  sum: number;
  inBucket: Float64Array;
}

/** A value as prom-client's registry renders it. */
interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** What prom-client's Registry reads of a metric. */
interface RenderedMetric {
  name: string;
  help: string;
  type: "counter" | "histogram";
  aggregator: "sum";
  get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: "sum" }>;
  reset(): void;
}

export class RpcCallMetrics {
  private readonly tallies = new Map<string, Tally>();
  private readonly unknown: Tally;
  private readonly buckets: readonly number[];

  /**
   * `methods`: the node's method names (each is its own label value); any other name counts as `unknownMethod`,
   * and is not timed. Both metrics are registered in `registry`.
   */
  constructor(opts: {
    registry: Registry;
    methods: Iterable<string>;
    unknownMethod: string;
    buckets: readonly number[];
    counterName: string;
    counterHelp: string;
    histogramName: string;
    histogramHelp: string;
  }) {
    this.buckets = opts.buckets;
    for (const method of opts.methods) this.tallies.set(method, this.tally());
    this.unknown = this.tally();
    const unknownMethod = opts.unknownMethod;
    opts.registry.registerMetric(
      this.metric(opts.counterName, opts.counterHelp, "counter", () => this.counterSamples(unknownMethod)) as never,
    );
    opts.registry.registerMetric(
      this.metric(opts.histogramName, opts.histogramHelp, "histogram", () => this.histogramSamples(opts.histogramName)) as never,
    );
  }

  /** A call was answered: `method` as the client named it, its seconds, and whether it was answered a result. */
  called(method: string, seconds: number, ok: boolean): void {
    const known = this.tallies.get(method);
    const tally = known ?? this.unknown;
    if (ok) tally.ok++;
    else tally.error++;
    if (known === undefined) return;
    known.count++;
    known.sum += seconds;
    const { buckets } = this;
    for (let i = 0; i < buckets.length; i++) {
      if (seconds <= buckets[i]) {
        known.inBucket[i]++;
        return;
      }
    }
  }

  private tally(): Tally {
    return { ok: 0, error: 0, count: 0, sum: 0, inBucket: new Float64Array(this.buckets.length) };
  }

  /** Every method's two series, the unknown method's last (as prom-client's Counter had them, made at start). */
  private counterSamples(unknownMethod: string): Sample[] {
    const values: Sample[] = [];
    const add = (method: string, t: Tally) => {
      values.push({ labels: { method, outcome: "ok" }, value: t.ok });
      values.push({ labels: { method, outcome: "error" }, value: t.error });
    };
    for (const [method, t] of this.tallies) add(method, t);
    add(unknownMethod, this.unknown);
    return values;
  }

  /** The methods called at least once: cumulative buckets, +Inf, sum and count (as prom-client's Histogram). */
  private histogramSamples(name: string): Sample[] {
    const values: Sample[] = [];
    for (const [method, t] of this.tallies) {
      if (t.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += t.inBucket[i];
        values.push({ labels: { le: this.buckets[i], method }, value: cumulative, metricName: `${name}_bucket` });
      }
      values.push({ labels: { le: "+Inf", method }, value: t.count, metricName: `${name}_bucket` });
      values.push({ labels: { method }, value: t.sum, metricName: `${name}_sum` });
      values.push({ labels: { method }, value: t.count, metricName: `${name}_count` });
    }
    return values;
  }

  private metric(
    name: string,
    help: string,
    type: "counter" | "histogram",
    samples: () => Sample[],
  ): RenderedMetric {
    const tallies = [...this.tallies.values(), this.unknown];
    return {
      name,
      help,
      type,
      aggregator: "sum",
      get: () => Promise.resolve({ name, help, type, values: samples(), aggregator: "sum" }),
      reset: () => {
        for (const t of tallies) {
          if (type === "counter") t.ok = t.error = 0;
          else {
            t.count = t.sum = 0;
            t.inBucket.fill(0);
          }
        }
      },
    };
  }
}

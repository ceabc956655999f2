import { syncBuiltinESMExports } from "node:module";
import { createRequire } from "node:module";
import fs from "node:fs";
import http from "node:http";
import { Session } from "node:inspector";
import { constants as perfConstants, PerformanceObserver } from "node:perf_hooks";
import net from "node:net";
import timers from "node:timers";
import { Worker, isMainThread } from "node:worker_threads";

/**
 * Debug-only wake-up counter, preloaded into a node with
 *   OPL_NODE_FLAGS="--import ./test/bench/wakeup-probe.ts" OPL_WAKEUP_PROBE_DIR=DIR npm run bench -- ...
 * It counts, on the main thread, what wakes a loaded node and what each wake-up sends: timers armed and fired
 * (setTimeout, setInterval, setImmediate, AbortSignal.timeout) by the two top frames of the code that armed
 * them, garbage collections by kind, worker postMessages (the verify pool), socket writes (the writes to the
 * kernel, after corking) and reads, yamux frames by type, noise frames, gossip broadcasts and the stream
 * sends they made, LevelDB batch writes (synced or not), fsyncs, and HTTP requests (JSON-RPC). Counts, unlike
 * times, do not depend on how loaded the machine is. The bench sends SIGUSR2 when its load starts and again
 * when it ends (test/bench/load.ts, only while OPL_WAKEUP_PROBE_DIR is set); the second writes
 * DIR/<pid>.json with the counts in between and the seconds they took. Nothing in the node imports it.
 */
const dir = process.env.OPL_WAKEUP_PROBE_DIR;
if (isMainThread && dir !== undefined) await install(dir);

async function install(outDir: string): Promise<void> {
  const counts: Record<string, number> = {};
  const sites = new Map<string, { armed: number; fired: number }>();
  const bump = (k: string, n = 1) => {
    counts[k] = (counts[k] ?? 0) + n;
  };
  const root = new URL("../../", import.meta.url).pathname;

  /** The two frames that armed a timer, outside this file and Node's internals, with short paths. */
  const site = (kind: string): string => {
    const holder: { stack?: string } = {};
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 12;
    Error.captureStackTrace(holder, site);
    Error.stackTraceLimit = limit;
    const frames = (holder.stack ?? "")
      .split("\n")
      .slice(1)
      .map((l) => l.trim().replace(/^at /, ""))
      .filter((l) => !l.includes("wakeup-probe.ts") && !l.includes("node:internal") && !l.startsWith("new Promise"))
      .map((l) => l.replace(`file://${root}`, "").replace(root, "").replace(/node_modules\/(\.pnpm\/)?/, "nm/"))
      .slice(0, 2);
    return `${kind} ${frames.join(" < ")}`;
  };
  const arm = (kind: string) => {
    const key = site(kind);
    let s = sites.get(key);
    if (s === undefined) sites.set(key, (s = { armed: 0, fired: 0 }));
    s.armed++;
    bump(`${kind} armed`);
    return s;
  };

  type AnyFn = (...args: unknown[]) => unknown;
  const wrapTimer = (name: "setTimeout" | "setInterval" | "setImmediate") => {
    const original = timers[name] as unknown as AnyFn;
    const wrapped = function (this: unknown, cb: unknown, ...rest: unknown[]) {
      if (typeof cb !== "function") return original.call(this, cb, ...rest);
      const s = arm(name);
      return original.call(
        this,
        function (this: unknown, ...args: unknown[]) {
          s.fired++;
          bump(`${name} fired`);
          return (cb as AnyFn).apply(this, args);
        },
        ...rest,
      );
    };
    Object.defineProperty(wrapped, "name", { value: name });
    (timers as unknown as Record<string, unknown>)[name] = wrapped;
    (globalThis as unknown as Record<string, unknown>)[name] = wrapped;
  };
  wrapTimer("setTimeout");
  wrapTimer("setInterval");
  wrapTimer("setImmediate");
  const abortTimeout = AbortSignal.timeout.bind(AbortSignal);
  AbortSignal.timeout = (ms: number) => {
    const s = arm("AbortSignal.timeout");
    const signal = abortTimeout(ms);
    signal.addEventListener("abort", () => s.fired++, { once: true });
    return signal;
  };

  const countCalls = (proto: object, method: string, key: string, extra?: (args: unknown[]) => void) => {
    const p = proto as Record<string, AnyFn>;
    const original = p[method];
    if (typeof original !== "function") throw new Error(`wakeup-probe: no ${method} to count (${key})`);
    p[method] = function (this: unknown, ...args: unknown[]) {
      bump(key);
      extra?.(args);
      return original.apply(this, args);
    };
  };

  countCalls(Worker.prototype, "postMessage", "worker postMessage");
  const socket = net.Socket.prototype as unknown as Record<string, AnyFn>;
  countCalls(socket, "_writeGeneric", "socket writes", (args) => {
    if (args[0] === true) bump("socket writev (several chunks in one write)");
  });
  countCalls(socket, "push", "socket reads");
  const server = http.Server.prototype as unknown as Record<string, AnyFn>;
  const emit = server.emit;
  server.emit = function (this: unknown, ...args: unknown[]) {
    if (args[0] === "request") bump("http requests");
    return emit.apply(this, args);
  };

  for (const m of ["fsync", "fsyncSync", "fdatasync", "fdatasyncSync"]) countCalls(fs, m, "fsync");
  syncBuiltinESMExports(); // the node's `import { fsync, setTimeout } from "node:..."` see the counted ones

  // The same module instances the node loads (CommonJS, cached by path).
  const require = createRequire(`${root}package.json`);
  const level = require("classic-level/index.js") as { ClassicLevel: { prototype: object } };
  const chained = require("classic-level/chained-batch.js") as { ChainedBatch: { prototype: object } };
  const syncFlag = (args: unknown[], at: number) => {
    if ((args[at] as { sync?: boolean } | undefined)?.sync === true) bump("leveldb synced writes");
  };
  countCalls(level.ClassicLevel.prototype, "_batch", "leveldb batch writes", (a) => syncFlag(a, 1));
  countCalls(chained.ChainedBatch.prototype, "_write", "leveldb batch writes", (a) => syncFlag(a, 0));
  countCalls(level.ClassicLevel.prototype, "_put", "leveldb puts", (a) => syncFlag(a, 2));

  // libp2p's per-message layers and our gossip, the same module instances as the node's (one URL each).
  const nm = `${root}node_modules/`;
  const yamux = (await import(`${nm}@chainsafe/libp2p-yamux/dist/src/muxer.js`)) as { YamuxMuxer: { prototype: object } };
  const frameTypes = ["data", "window update", "ping", "go away"];
  countCalls(yamux.YamuxMuxer.prototype, "sendFrame", "yamux frames sent", (a) =>
    bump(`yamux frames sent: ${frameTypes[(a[0] as { type: number }).type] ?? "?"}`),
  );
  type Exported = Record<string, { prototype: object }>;
  const noise = (await import(`${nm}@chainsafe/libp2p-noise/dist/src/protocol.js`)) as Exported;
  countCalls(noise.CipherState.prototype, "encryptWithAd", "noise frames encrypted");
  countCalls(noise.CipherState.prototype, "decryptWithAd", "noise frames decrypted");
  const gossip = (await import(`${root}p2p/gossip.ts`)) as { Gossip: { prototype: object } };
  const gossipProto = gossip.Gossip.prototype as Record<string, AnyFn>;
  const broadcast = gossipProto.broadcast;
  gossipProto.broadcast = function (this: { opts: { protocol: string } }, ...args) {
    const sent = broadcast.apply(this, args) as number;
    bump(`gossip broadcasts ${this.opts.protocol}`);
    bump(`gossip stream sends ${this.opts.protocol}`, sent);
    return sent;
  };

  // Garbage collections by kind, and their pause time (ms, summed as "gc pause ms").
  const gcKinds: Record<number, string> = {
    [perfConstants.NODE_PERFORMANCE_GC_MINOR]: "gc scavenges",
    [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: "gc mark-compacts",
    [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: "gc incremental marking steps",
    [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: "gc weak callbacks",
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1;
      bump(gcKinds[kind] ?? "gc other");
      bump("gc pause ms", e.duration);
    }
  }).observe({ entryTypes: ["gc"] });

  type Sites = Map<string, { armed: number; fired: number }>;
  let start: { at: number; counts: Record<string, number>; sites: Sites } | undefined;
  const snapshotSites = () => new Map([...sites].map(([k, v]) => [k, { ...v }]));
  // With OPL_WAKEUP_PROBE_ALLOC=1, V8's sampling heap profiler runs over the same window, keeping the samples of
  // objects already collected: where the main thread allocates (DIR/<pid>.heapprofile, by allocation site).
  // With OPL_WAKEUP_PROBE_ALLOC=promoted, only the samples of objects that outlived a scavenge (promoted to the
  // old space, whether a full GC collected them later or not): what the old generation's collections work on.
  fs.mkdirSync(outDir, { recursive: true });
  const allocMode = process.env.OPL_WAKEUP_PROBE_ALLOC;
  const alloc = allocMode === "1" || allocMode === "promoted" ? new Session() : undefined;
  alloc?.connect();
  process.on("SIGUSR2", () => {
    if (start === undefined) {
      start = { at: performance.now(), counts: { ...counts }, sites: snapshotSites() };
      alloc?.post("HeapProfiler.startSampling", {
        samplingInterval: 32768,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: allocMode === "1",
      });
      return;
    }
    alloc?.post("HeapProfiler.stopSampling", (err, result) => {
      if (err === null) fs.writeFileSync(`${outDir}/${process.pid}.heapprofile`, JSON.stringify(result.profile));
    });
    const seconds = (performance.now() - start.at) / 1000;
    const diff: Record<string, number> = {};
    for (const [k, v] of Object.entries(counts)) diff[k] = v - (start.counts[k] ?? 0);
    const bySite: Record<string, { armed: number; fired: number }> = {};
    for (const [k, v] of sites) {
      const before = start.sites.get(k) ?? { armed: 0, fired: 0 };
      const d = { armed: v.armed - before.armed, fired: v.fired - before.fired };
      if (d.armed > 0 || d.fired > 0) bySite[k] = d;
    }
    fs.writeFileSync(
      `${outDir}/${process.pid}.json`,
      JSON.stringify({ pid: process.pid, seconds, counts: diff, timersBySite: bySite }, null, 1),
    );
    start = undefined;
  });
}

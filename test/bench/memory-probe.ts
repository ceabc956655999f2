import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { PerformanceObserver } from "node:perf_hooks";
import { getHeapSpaceStatistics, writeHeapSnapshot } from "node:v8";
import { isMainThread } from "node:worker_threads";

/**
 * Debug-only memory probe, preloaded into a node with
 *   OPL_NODE_FLAGS="--import ./test/bench/memory-probe.ts" OPL_MEMORY_PROBE_DIR=DIR npm run bench -- ...
 * Every 250 ms it reads the process's resident set and the main isolate's heap; whenever the resident set
 * reaches a new peak it writes DIR/<pid>.json with the breakdown at that moment (JS heap by space,
 * external/array buffers, and /proc/self/smaps_rollup's anonymous vs file-backed pages), plus the GC pause
 * time so far (PerformanceObserver "gc" entries) and this process's CPU time, so GC cost is a ratio of the
 * same run. With OPL_MEMORY_PROBE_SNAPSHOT_MB=N it also writes one heap snapshot into DIR the first time the
 * resident set passes N MB (it pauses the node for seconds: for finding what the heap holds, not for figures).
 * Nothing in the node imports it.
 */
const dir = process.env.OPL_MEMORY_PROBE_DIR;
if (isMainThread && dir !== undefined) {
  mkdirSync(dir, { recursive: true });
  let gcMs = 0;
  const gcByKind: Record<string, number> = {};
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      const kind = String((e as unknown as { detail?: { kind?: number } }).detail?.kind ?? "?");
      gcByKind[kind] = (gcByKind[kind] ?? 0) + e.duration;
    }
  }).observe({ entryTypes: ["gc"] });
  const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  const rollup = () => {
    const out: Record<string, number> = {};
    for (const line of readFileSync("/proc/self/smaps_rollup", "utf8").split("\n")) {
      const m = /^(\w+):\s+(\d+) kB/.exec(line);
      if (m !== null) out[m[1]] = Math.round(Number(m[2]) / 102.4) / 10;
    }
    return out;
  };
  let peak = 0;
  const snapshotAtMb = Number(process.env.OPL_MEMORY_PROBE_SNAPSHOT_MB ?? Infinity);
  let snapshotTaken = false;
  const sample = () => {
    const mem = process.memoryUsage();
    const now = process.cpuUsage();
    writeFileSync(
      `${dir}/${process.pid}.last.json`,
      JSON.stringify({
        gcMs: Math.round(gcMs),
        cpuMs: Math.round((now.user + now.system) / 1000),
        uptimeS: Math.round(process.uptime()),
      }),
    );
    if (!snapshotTaken && mem.rss / 1024 / 1024 >= snapshotAtMb) {
      snapshotTaken = true;
      writeHeapSnapshot(`${dir}/${process.pid}.heapsnapshot`);
    }
    if (mem.rss <= peak) return;
    peak = mem.rss;
    const cpu = process.cpuUsage();
    const spaces: Record<string, number> = {};
    for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = mb(s.space_used_size);
    const committed: Record<string, number> = {};
    for (const s of getHeapSpaceStatistics()) committed[s.space_name] = mb(s.space_size);
    const r = rollup();
    writeFileSync(
      `${dir}/${process.pid}.json`,
      JSON.stringify({
        rssMb: mb(mem.rss),
        heapTotalMb: mb(mem.heapTotal),
        heapUsedMb: mb(mem.heapUsed),
        externalMb: mb(mem.external),
        arrayBuffersMb: mb(mem.arrayBuffers),
        usedBySpaceMb: spaces,
        committedBySpaceMb: committed,
        smapsMb: { anonymous: r.Anonymous, fileBacked: (r.Rss ?? 0) - (r.Anonymous ?? 0), rss: r.Rss },
        gcMs: Math.round(gcMs),
        gcMsByKind: Object.fromEntries(Object.entries(gcByKind).map(([k, v]) => [k, Math.round(v)])),
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        uptimeS: Math.round(process.uptime()),
      }),
    );
  };
  setInterval(sample, 250).unref();
}

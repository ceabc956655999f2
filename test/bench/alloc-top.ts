import { readFileSync } from "node:fs";
import { allocationSites, type HeapProfileNode } from "./heap-sites.ts";

/**
 * The top allocation sites of a sampling heap profile (wakeup-probe.ts with OPL_WAKEUP_PROBE_ALLOC=1, or any
 * .heapprofile), by bytes allocated in the function itself, with its share of all sampled bytes and, given the
 * committed tx count, bytes per tx. Usage: npx node test/bench/alloc-top.ts FILE.heapprofile [COMMITTED] [TOP]
 */

const [file, committedText, topText] = process.argv.slice(2);
if (file === undefined) throw new Error("usage: alloc-top.ts FILE.heapprofile [COMMITTED] [TOP]");
const committed = Number(committedText ?? 0);
const top = Number(topText ?? 25);
const { head } = JSON.parse(readFileSync(file, "utf8")) as { head: HeapProfileNode };
const { bySite, total } = allocationSites(head);
console.log(`sampled ${(total / 1e6).toFixed(1)} MB${committed > 0 ? `, ${Math.round(total / committed)} bytes per committed tx` : ""}`);
for (const [k, v] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  const perTx = committed > 0 ? ` | ${Math.round(v / committed)} B/tx` : "";
  console.log(`${((100 * v) / total).toFixed(1)}% | ${(v / 1e6).toFixed(1)} MB${perTx} | ${k}`);
}

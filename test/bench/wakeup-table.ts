import { readdirSync, readFileSync } from "node:fs";

/**
 * Prints what wakeup-probe.ts counted, per node: each count per second and per committed tx, then the timer
 * sites that fired most. Usage: npx node test/bench/wakeup-table.ts DIR COMMITTED_TXS [TOP_SITES]
 */
interface ProbeFile {
  pid: number;
  seconds: number;
  counts: Record<string, number>;
  timersBySite: Record<string, { armed: number; fired: number }>;
}

const [dir, committedText, topText] = process.argv.slice(2);
const committed = Number(committedText);
if (dir === undefined || !(committed > 0)) throw new Error("usage: wakeup-table.ts DIR COMMITTED_TXS [TOP_SITES]");
const top = Number(topText ?? 12);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .map((f) => JSON.parse(readFileSync(`${dir}/${f}`, "utf8")) as ProbeFile);
const r = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

for (const f of files) {
  console.log(`\nnode pid ${f.pid}: ${r(f.seconds, 1)} s, ${committed} committed txs`);
  console.log("count | total | per s | per tx");
  for (const [k, v] of Object.entries(f.counts).sort()) {
    console.log(`${k} | ${v} | ${r(v / f.seconds, 1)} | ${r(v / committed, 4)}`);
  }
  console.log(`timer sites, most fired first | fired | armed | fired per s | fired per tx`);
  const sites = Object.entries(f.timersBySite).sort((a, b) => b[1].fired - a[1].fired || b[1].armed - a[1].armed);
  for (const [k, v] of sites.slice(0, top)) {
    console.log(`${k} | ${v.fired} | ${v.armed} | ${r(v.fired / f.seconds, 1)} | ${r(v.fired / committed, 4)}`);
  }
}

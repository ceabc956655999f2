import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * CPU of one process by thread, over a window: user + system ticks (1/100 s) of each thread from
 * /proc/PID/task/TID/stat at the start and end, grouped by thread name (/proc/PID/task/TID/comm, trailing digits
 * dropped). For a node: `MainThread`; `V8Worker` = V8's platform threads (GC helpers, compilers); `WorkerThread`
 * = the verify workers; `libuv-worker` = libuv's pool and LevelDB's compaction thread, which inherits the name of
 * the pool thread that started it (a thread that appears during the window is counted from zero). Start it once
 * the bench prints the node's pid and its load begins:
 *
 *   npx node test/bench/thread-cpu.ts PID SECONDS [COMMITTED_TXS]
 *
 * With COMMITTED_TXS it also prints CPU microseconds per tx per group (divide by the bench's verifyUs for
 * verifies). Linux only.
 */
type Snapshot = Map<string, { name: string; ticks: number }>;

function snapshot(pid: number): Snapshot {
  const out: Snapshot = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim().replace(/\d+$/, "");
      // Fields after the ")" that ends the command name: utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8").split(") ")[1].split(" ");
      out.set(tid, { name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

const [pidText, secondsText, txsText] = process.argv.slice(2);
const pid = Number(pidText);
const seconds = Number(secondsText);
if (!Number.isInteger(pid) || !(seconds > 0)) throw new Error("usage: thread-cpu.ts PID SECONDS [COMMITTED_TXS]");
const txs = Number(txsText ?? 0);

const start = snapshot(pid);
await sleep(seconds * 1000);
const end = snapshot(pid);
const groups = new Map<string, { ticks: number; threads: number }>();
for (const [tid, t] of end) {
  const g = groups.get(t.name) ?? { ticks: 0, threads: 0 };
  g.ticks += t.ticks - (start.get(tid)?.ticks ?? 0);
  g.threads++;
  groups.set(t.name, g);
}
const total = [...groups.values()].reduce((sum, g) => sum + g.ticks, 0);
for (const [name, g] of [...groups].sort((a, b) => b[1].ticks - a[1].ticks)) {
  const perTx = txs > 0 ? `  ${Math.round((g.ticks * 10_000) / txs)} us/tx` : "";
  console.log(
    `${name.padEnd(16)} ${(g.ticks / 100).toFixed(2).padStart(7)} s  ${String(g.threads).padStart(2)} threads  ` +
    `${((100 * g.ticks) / Math.max(total, 1)).toFixed(1).padStart(5)}%${perTx}`,
  );
}
console.log(`${"total".padEnd(16)} ${(total / 100).toFixed(2).padStart(7)} s over ${seconds} s`);

import { setTimeout as sleep } from "node:timers/promises";
import { secondsByThreadName, threadTicks } from "./thread-groups.ts";

/**
 * CPU of one process by thread name over a window (test/bench/thread-groups.ts says what a node's threads
 * are; a thread that appears during the window is counted from zero). `npm run bench` reports the same split
 * per node for its load (cpuPerTxByThread); this looks at any window of any process. Start it once the load
 * begins:
 *
 *   npx node test/bench/thread-cpu.ts PID SECONDS [COMMITTED_TXS]
 *
 * With COMMITTED_TXS it also prints CPU microseconds per tx per group (divide by the bench's verifyUs for
 * verifies). Linux only.
 */
const [pidText, secondsText, txsText] = process.argv.slice(2);
const pid = Number(pidText);
const seconds = Number(secondsText);
if (!Number.isInteger(pid) || !(seconds > 0)) throw new Error("usage: thread-cpu.ts PID SECONDS [COMMITTED_TXS]");
const txs = Number(txsText ?? 0);

const start = threadTicks(pid);
await sleep(seconds * 1000);
const groups = secondsByThreadName(start, threadTicks(pid));
const total = [...groups.values()].reduce((sum, g) => sum + g.seconds, 0);
for (const [name, g] of [...groups].sort((a, b) => b[1].seconds - a[1].seconds)) {
  const perTx = txs > 0 ? `  ${Math.round((g.seconds * 1e6) / txs)} us/tx` : "";
  console.log(
    `${name.padEnd(16)} ${g.seconds.toFixed(2).padStart(7)} s  ${String(g.threads).padStart(2)} threads  ` +
    `${((100 * g.seconds) / Math.max(total, 0.01)).toFixed(1).padStart(5)}%${perTx}`,
  );
}
console.log(`${"total".padEnd(16)} ${total.toFixed(2).padStart(7)} s over ${seconds} s`);

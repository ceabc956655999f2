import { once } from "node:events";
import { createServer, connect, type Socket } from "node:net";
import { Worker } from "node:worker_threads";
import { measureVerifyRate } from "./verify-rate.ts";

/**
 * What one wake-up of the event loop costs, in ed25519 verifies of the same run (the bench's yardstick,
 * measured first): a chain of setImmediates (a turn of the loop each, nothing else to do), and chains of
 * setTimeout(0) and setTimeout(2) (a timer each; the 2 ms one sleeps in between, as the verify pool's gather
 * timer does); then a round trip to a worker thread (a 128-byte message there and an answer back, as the
 * verify pool's, both threads' CPU), and a 100-byte socket write over loopback TCP with its read at the other
 * end (one process, both ends' CPU). CPU time of this process (process.cpuUsage), not wall time; each figure is the least of
 * `--repeat` rounds (default 5). The counts to multiply them by: test/bench/wakeup-probe.ts.
 *   npx node test/bench/wakeup-cost.ts [--repeat 5]
 */
const repeatAt = process.argv.indexOf("--repeat");
const repeat = repeatAt > 0 ? Number(process.argv[repeatAt + 1]) : 5;

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function chainCpuUs(n: number, arm: (next: () => void) => void): Promise<number> {
  const start = cpuUs();
  await new Promise<void>((resolve) => {
    let left = n;
    const step = () => (--left > 0 ? arm(step) : resolve());
    arm(step);
  });
  return (cpuUs() - start) / n;
}

const verify = measureVerifyRate("wakeup-cost", 1500);
const kinds: [string, number, (next: () => void) => void][] = [
  ["setImmediate", 20_000, (next) => setImmediate(next)],
  ["setTimeout(0)", 2_000, (next) => setTimeout(next, 0)],
  ["setTimeout(2)", 500, (next) => setTimeout(next, 2)],
];

// A worker that answers each message at once.
const worker = new Worker("const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m));", { eval: true });
const record = new Uint8Array(128);
kinds.push(["worker round trip", 2_000, (next) => {
  worker.once("message", next);
  worker.postMessage(record);
}]);
// A loopback TCP connection: each write is read at the other end before the next.
const server = createServer();
server.listen(0, "127.0.0.1");
await once(server, "listening");
const address = server.address() as { port: number };
const client = connect(address.port, "127.0.0.1");
const [accepted] = (await once(server, "connection")) as [Socket];
const chunk = Buffer.alloc(100);
kinds.push(["socket write + read", 2_000, (next) => {
  accepted.once("data", () => next());
  client.write(chunk);
}]);

const figures: Record<string, { us: number; verifies: number }> = {};
for (const [name, n, arm] of kinds) {
  let best = Infinity;
  for (let r = 0; r < repeat; r++) best = Math.min(best, await chainCpuUs(n, arm));
  figures[name] = { us: Math.round(best * 100) / 100, verifies: Math.round((best / verify.verifyUs) * 1000) / 1000 };
}
client.destroy();
accepted.destroy();
server.close();
await worker.terminate();
console.log(JSON.stringify({ verifyUs: verify.verifyUs, verifyUsMedian: verify.verifyUsMedian, perWakeup: figures }));

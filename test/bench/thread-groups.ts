import { readdirSync, readFileSync } from "node:fs";

/**
 * A process's CPU by thread, read from /proc/PID/task/TID/stat (user + system clock ticks of 1/100 s) and
 * named by /proc/PID/task/TID/comm (trailing digits dropped). Linux only: elsewhere a snapshot is empty.
 *
 * A node's threads, by name: `MainThread` (the event loop: consensus, RPC, mempool, execution, commits),
 * `WorkerThread` (the signature-verification workers, crypto/verify-pool.ts), `V8Worker` (V8's platform
 * threads: concurrent and parallel garbage collection, background compilers) and `libuv-worker` (libuv's pool:
 * LevelDB's reads, writes and its compaction thread, which inherits the name of the pool thread that started it).
 */
export type ThreadTicks = Map<string, { name: string; ticks: number }>;

/** Each live thread's CPU ticks so far, by thread id. */
export function threadTicks(pid: number): ThreadTicks {
  const out: ThreadTicks = new Map();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // no /proc (not Linux), or the process is gone
  }
  for (const tid of tids) {
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

/** CPU seconds by thread name between two snapshots; a thread that appeared in between counts from zero. */
export function secondsByThreadName(
  start: ThreadTicks,
  end: ThreadTicks,
): Map<string, { seconds: number; threads: number }> {
  const groups = new Map<string, { seconds: number; threads: number }>();
  for (const [tid, t] of end) {
    const g = groups.get(t.name) ?? { seconds: 0, threads: 0 };
    g.seconds += (t.ticks - (start.get(tid)?.ticks ?? 0)) / 100;
    g.threads++;
    groups.set(t.name, g);
  }
  return groups;
}

/** A node's CPU seconds in four parts (and the rest), as the bench reports them. */
export interface NodeThreadSeconds {
  /** The signature-verification workers. */
  verify: number;
  /** The event loop. */
  main: number;
  /** V8's helper threads: garbage collection and compilers. */
  v8: number;
  /** libuv's pool: LevelDB (writes, reads, compaction) and other blocking calls. */
  io: number;
  /** Threads of no known name, and threads that ended during the window (their CPU is in the process total only). */
  other: number;
}

const GROUP_OF: Record<string, keyof NodeThreadSeconds> = {
  "WorkerThread": "verify",
  "MainThread": "main",
  "V8Worker": "v8",
  "libuv-worker": "io",
};

/**
 * A node's CPU between two snapshots in NodeThreadSeconds' parts; `totalSeconds` is the process's own total
 * over the same window (/proc/PID/stat, which keeps the CPU of threads that ended), so the parts add up to it.
 */
export function nodeThreadSeconds(start: ThreadTicks, end: ThreadTicks, totalSeconds: number): NodeThreadSeconds {
  const out: NodeThreadSeconds = { verify: 0, main: 0, v8: 0, io: 0, other: 0 };
  let named = 0;
  for (const [name, g] of secondsByThreadName(start, end)) {
    const group = GROUP_OF[name];
    if (group === undefined) continue;
    out[group] += g.seconds;
    named += g.seconds;
  }
  out.other = Math.max(0, totalSeconds - named);
  return out;
}

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

/** User + system clock ticks (1/100 s) in a /proc stat file (a process's, or one thread's). */
export function statTicks(path: string): number {
  const text = readFileSync(path, "utf8");
  // Fields after the ")" that ends the command name (which may hold spaces or parentheses itself): utime and
  // stime are the 12th and 13th.
  const fields = text.slice(text.lastIndexOf(") ") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

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
      out.set(tid, { name, ticks: statTicks(`/proc/${pid}/task/${tid}/stat`) });
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

/** A node's CPU in four parts by thread (and the rest): seconds, or verifies per tx as the bench reports them. */
export interface ThreadSplit {
  /** The signature-verification workers. */
  verify: number;
  /** The event loop. */
  main: number;
  /** V8's helper threads: garbage collection and compilers. */
  v8: number;
  /** libuv's pool: LevelDB (writes, reads, compaction) and other blocking calls. */
  io: number;
  /**
   * The process total less the named threads: threads that ended during the window (their CPU is in the
   * process's total only) and threads of other names (e.g. the inspector's).
   */
  other: number;
}

const GROUP_OF: Record<string, keyof ThreadSplit> = {
  "WorkerThread": "verify",
  "MainThread": "main",
  "V8Worker": "v8",
  "libuv-worker": "io",
};

/**
 * A node's CPU between two snapshots in ThreadSplit's parts; `totalSeconds` is the process's own total over
 * the same window (/proc/PID/stat, which keeps the CPU of threads that ended), and the parts add up to it. The
 * kernel rounds each thread's ticks down on its own, so the named threads may sum to a tick or two more than
 * the process: then they are scaled down to its total (and `other` is 0).
 */
export function nodeThreadSeconds(start: ThreadTicks, end: ThreadTicks, totalSeconds: number): ThreadSplit {
  const out: ThreadSplit = { verify: 0, main: 0, v8: 0, io: 0, other: 0 };
  let named = 0;
  for (const [name, g] of secondsByThreadName(start, end)) {
    const group = GROUP_OF[name];
    if (group === undefined) continue;
    out[group] += g.seconds;
    named += g.seconds;
  }
  if (named > totalSeconds && named > 0) {
    const scale = totalSeconds / named;
    for (const k of ["verify", "main", "v8", "io"] as const) out[k] *= scale;
  } else {
    out.other = totalSeconds - named;
  }
  return out;
}

import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, fstatSync, openSync, readSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Devnet, DevnetNode } from "./devnet-homes.ts";
import { fetchNodeStatus, formatHeights, type NodeView } from "./devnet-status.ts";
import { NODE_FLAGS, nodeProcessEnv } from "./node-process-env.ts";

export interface RunnerOptions {
  devnet: Devnet;
  /** The Node.js binary and bin/opl.js: the nodes run the very code the launcher runs. */
  nodeBinary: string;
  oplScript: string;
  out?: NodeJS.WriteStream;
  /** How long a node may take from spawn to answering node_getStatus. */
  startTimeoutMs?: number;
  /** How long stop() waits for a node after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
}

interface Child {
  node: DevnetNode;
  proc: ChildProcess;
  /** Last lines the node wrote to stderr (its logs go to node.log; stderr has only start-up errors). */
  stderr: string[];
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  exited: Promise<void>;
}

/** The file operators read to find the running nodes; it exists while the devnet runs. */
export interface DevnetFile {
  chainId: string;
  nodes: { name: string; home: string; rpc: string; p2p: string; pid: number }[];
}

export function devnetFilePath(dir: string): string {
  return join(dir, "devnet.json");
}

const TAIL_LINES = 20;

/**
 * Runs every node of a devnet as a child `opl start` process and watches them. Children get their own
 * process group (detached), so a terminal's Ctrl-C reaches only the launcher, which then stops them in
 * order: SIGTERM, wait, SIGKILL after a grace period. A child that exits on its own is reported and left
 * down; the others keep running.
 */
export class DevnetRunner {
  private readonly o: RunnerOptions;
  private readonly out: NodeJS.WriteStream;
  private readonly children: Child[] = [];
  private stopping = false;
  /** Set once every node answered: from then on, an exit is news for the operator. */
  private running = false;
  private stopped: Promise<void> | undefined;
  private display: NodeJS.Timeout | undefined;
  private lineOpen = false;

  constructor(o: RunnerOptions) {
    this.o = o;
    this.out = o.out ?? process.stdout;
    // Last resort if the launcher dies of an error: never leave orphaned nodes holding the homes.
    process.once("exit", () => {
      for (const c of this.children) if (c.exit === undefined) c.proc.kill("SIGKILL");
    });
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  get isTty(): boolean {
    return this.out.isTTY === true;
  }

  /** Spawns every node, waits until each answers node_getStatus, then writes devnet.json. */
  async start(): Promise<DevnetFile> {
    const { devnet } = this.o;
    this.print(`starting ${devnet.nodes.length} node${devnet.nodes.length === 1 ? "" : "s"} of chain ${devnet.chainId}`);
    for (const node of devnet.nodes) this.children.push(this.spawn(node));
    try {
      await Promise.all(this.children.map((c) => this.waitReady(c)));
    } catch (err) {
      await this.stop();
      throw err;
    }
    const file: DevnetFile = {
      chainId: devnet.chainId,
      nodes: this.children.map((c) => ({
        name: c.node.name,
        home: c.node.home,
        rpc: c.node.rpc,
        p2p: c.node.p2p,
        pid: c.proc.pid as number,
      })),
    };
    const path = devnetFilePath(devnet.dir);
    writeFileSync(`${path}.tmp`, `${JSON.stringify(file, null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
    this.running = true;
    return file;
  }

  private spawn(node: DevnetNode): Child {
    const log = join(node.home, "node.log");
    const proc = spawn(
      this.o.nodeBinary,
      // As bin/opl.js's shebang (NODE_FLAGS: the young generation's size).
      [...NODE_FLAGS, this.o.oplScript, "start", "--home", node.home, "--log-file", log],
      { stdio: ["ignore", "ignore", "pipe"], detached: true, env: nodeProcessEnv() },
    );
    const stderr: string[] = [];
    createInterface({ input: proc.stderr as NodeJS.ReadableStream }).on("line", (line) => {
      stderr.push(line);
      if (stderr.length > TAIL_LINES) stderr.shift();
    });
    const child: Child = { node, proc, stderr, exited: Promise.resolve() };
    child.exited = new Promise<void>((resolve) => {
      proc.on("exit", (code, signal) => {
        child.exit = { code, signal };
        if (this.running && !this.stopping) this.reportExit(child);
        resolve();
      });
      // A spawn failure (e.g. the binary vanished) emits "error" and maybe no "exit".
      proc.on("error", (err) => {
        stderr.push(String(err));
        child.exit ??= { code: null, signal: null };
        resolve();
      });
    });
    return child;
  }

  private async waitReady(c: Child): Promise<void> {
    const deadline = Date.now() + (this.o.startTimeoutMs ?? 60_000);
    for (;;) {
      if (this.stopping) throw new Error("stopped while starting");
      if (c.exit !== undefined) {
        throw new Error(`${c.node.name} exited while starting (${describeExit(c)})${this.tails(c)}`);
      }
      const status = await fetchNodeStatus(c.node.rpc, 1000);
      if (status !== undefined) {
        // Some other process may hold the port (an earlier devnet left running): make sure it is this node.
        if (status.nodeId !== c.node.nodeId) {
          throw new Error(
            `${c.node.rpc} answers as node ${status.nodeId}, not ${c.node.name} (${c.node.nodeId}): ` +
            "is an earlier devnet still running?",
          );
        }
        this.print(`${c.node.name} ready: pid ${c.proc.pid}, rpc ${c.node.rpc}, logs ${join(c.node.home, "node.log")}`);
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`${c.node.name} did not answer on ${c.node.rpc} in time${this.tails(c)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The live heights: one line rewritten every second on a terminal, else a line every 5 s. */
  showHeights(): void {
    const tick = async () => {
      const line = formatHeights(await this.views());
      if (this.stopping) return;
      if (this.isTty) {
        // A line wider than the terminal wraps, and \r then rewrites only its last part.
        const width = this.out.columns > 20 ? this.out.columns - 1 : Number.POSITIVE_INFINITY;
        this.out.write(`\r\x1b[K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
        this.lineOpen = true;
      } else {
        this.out.write(`${line}\n`);
      }
      this.display = setTimeout(() => void tick(), this.isTty ? 1000 : 5000);
    };
    this.display = setTimeout(() => void tick(), 0);
  }

  /** Each node's height, read from its RPC: a node an operator restarted by hand shows up again. */
  private views(): Promise<NodeView[]> {
    return Promise.all(
      this.children.map(async (c): Promise<NodeView> => {
        const status = await fetchNodeStatus(c.node.rpc, 800);
        if (status !== undefined) return { name: c.node.name, state: "up", height: status.latestHeight };
        return { name: c.node.name, state: c.exit === undefined ? "silent" : "down" };
      }),
    );
  }

  private reportExit(c: Child): void {
    this.print(
      `${c.node.name} (pid ${c.proc.pid}) exited: ${describeExit(c)}; the other nodes keep running. ` +
      // A signal is most likely the operator's own kill: its logs are no news then.
      `Restart it with: opl start --home ${c.node.home}${c.exit?.signal ? "" : this.tails(c)}`,
    );
  }

  /** Stops every node still running: SIGTERM (and SIGCONT, in case it was paused), SIGKILL after the grace. */
  stop(): Promise<void> {
    this.stopped ??= this.doStop();
    return this.stopped;
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.display);
    const running = this.children.filter((c) => c.exit === undefined);
    if (running.length > 0) this.print(`stopping ${running.map((c) => c.node.name).join(", ")}`);
    for (const c of running) {
      c.proc.kill("SIGTERM");
      c.proc.kill("SIGCONT");
    }
    await Promise.all(
      running.map(async (c) => {
        let timer: NodeJS.Timeout | undefined;
        const grace = new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), this.o.stopTimeoutMs ?? 10_000);
        });
        const inTime = await Promise.race([c.exited.then(() => true), grace]);
        clearTimeout(timer);
        if (!inTime) {
          this.print(`${c.node.name} did not stop within the grace period; killing it (SIGKILL)`);
          c.proc.kill("SIGKILL");
          await c.exited;
        }
      }),
    );
    // The pids in devnet.json are gone now; a stale file would point operators at unrelated processes.
    rmSync(devnetFilePath(this.o.devnet.dir), { force: true });
    this.print("all nodes stopped");
  }

  /** Killing the devnet harder, on a second Ctrl-C. */
  killAll(): void {
    for (const c of this.children) if (c.exit === undefined) c.proc.kill("SIGKILL");
  }

  /** Prints a message on its own line, ending the live status line first if one is showing. */
  print(message: string): void {
    if (this.lineOpen) this.out.write("\n");
    this.lineOpen = false;
    this.out.write(`${message}\n`);
  }

  private tails(c: Child): string {
    const parts: string[] = [];
    if (c.stderr.length > 0) parts.push(`\n  stderr:\n    ${c.stderr.join("\n    ")}`);
    const log = logTail(join(c.node.home, "node.log"), 8);
    if (log.length > 0) parts.push(`\n  last log lines (${join(c.node.home, "node.log")}):\n    ${log.join("\n    ")}`);
    return parts.join("");
  }
}

function describeExit(c: Child): string {
  const e = c.exit;
  if (e === undefined) return "running";
  return e.signal !== null ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

/** The last lines of a node's JSON log, as "level msg: error" for a person to read. */
function logTail(path: string, lines: number): string[] {
  if (!existsSync(path)) return [];
  // Only the end of the file: a long-running node's log can be large.
  const fd = openSync(path, "r");
  let text: string;
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, 64 * 1024));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    text = buf.toString("utf8").trimEnd();
  } finally {
    closeSync(fd);
  }
  if (text === "") return [];
  return text
    .split("\n")
    .slice(-lines)
    .map((line) => {
      try {
        const e = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        return `${levelName(e.level)} ${e.msg ?? ""}${e.err?.message ? `: ${e.err.message}` : ""}`;
      } catch {
        return line;
      }
    });
}

function levelName(level: number | undefined): string {
  const names: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };
  return level === undefined ? "" : (names[level] ?? String(level));
}

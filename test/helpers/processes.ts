import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { NODE_FLAGS, nodeProcessEnv } from "../../node/node-process-env.ts";

/**
 * Real `opl` processes for end-to-end tests, run by the project's pinned Node 24 (node_modules/.bin/node),
 * whichever Node happens to run the test runner.
 */
const ROOT = join(import.meta.dirname, "..", "..");
export const OPL = join(ROOT, "bin", "opl.js");
const PINNED_NODE = join(ROOT, "node_modules", ".bin", "node");
export const NODE = existsSync(PINNED_NODE) ? PINNED_NODE : process.execPath;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], timeoutMs = 30_000): Promise<CliResult> {
  const child = spawn(NODE, [OPL, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  return collectOutput(child, `opl ${args.join(" ")}`, timeoutMs);
}

/**
 * Everything a child writes to stdout and stderr, and its exit code, once both streams have closed. Not at
 * "exit": a child that writes and exits can be gone while the last of its output is still in the pipe, and
 * a reader at "exit" would see it cut short (an empty stdout for a command that printed its JSON).
 */
export function collectOutput(child: ChildProcess, label: string, timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    // Decoded as a stream: a character split between two chunks stays whole.
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (d: string) => {
      stdout += d;
    });
    child.stderr?.on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${label} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once("error", (err) => {
      // Not started (or not killable): a rejection, not an uncaught "error" event.
      clearTimeout(timer);
      reject(new Error(`${label} failed: ${err.message}`, { cause: err }));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface NodeStartOptions {
  /** More `opl start` arguments. */
  args?: string[];
  /** Listen where config.toml says (rpc.listen, p2p.listen) instead of on free ports. */
  configuredListen?: boolean;
  timeoutMs?: number;
  /** More environment variables for the node process (e.g. OPL_TEST_UPGRADE_HANDLERS). */
  env?: Record<string, string>;
}

/** A running `opl start`, with its RPC URL read from its own log ("JSON-RPC listening"). */
export class NodeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly logLines: string[];

  private constructor(child: ChildProcess, url: string, logLines: string[]) {
    this.child = child;
    this.url = url;
    this.logLines = logLines;
  }

  /**
   * Starts `opl start --home HOME` with JSON logs on stderr. By default the RPC and p2p listen on port 0 (free
   * ports, so tests never collide); `configuredListen` keeps config.toml's addresses instead, which a network
   * needs: its persistent peers dial the configured p2p ports.
   */
  static start(
    home: string,
    extraArgsOrOptions: string[] | NodeStartOptions = [],
    timeoutMs = 30_000,
  ): Promise<NodeProcess> {
    const opts: NodeStartOptions = Array.isArray(extraArgsOrOptions)
      ? { args: extraArgsOrOptions, timeoutMs }
      : extraArgsOrOptions;
    timeoutMs = opts.timeoutMs ?? timeoutMs;
    const listen = opts.configuredListen
      ? []
      : ["--rpc-listen", "127.0.0.1:0", "--p2p-listen", "/ip4/127.0.0.1/tcp/0"];
    const child = spawn(
      NODE,
      // OPL_NODE_FLAGS passes flags to the node's Node.js, e.g. "--cpu-prof" when profiling a benchmark.
      [
        ...NODE_FLAGS, // as bin/opl.js's shebang sets them
        ...(process.env.OPL_NODE_FLAGS?.split(" ").filter(Boolean) ?? []),
        OPL,
        "start",
        "--home",
        home,
        ...listen,
        "--log-format",
        "json",
        ...(opts.args ?? []),
      ],
      { stdio: ["ignore", "ignore", "pipe"], env: { ...nodeProcessEnv(), ...opts.env } },
    );
    const lines: string[] = [];
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`node did not start in ${timeoutMs} ms:\n${lines.join("\n")}`));
      }, timeoutMs);
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`node exited during start-up (code ${code}, signal ${signal}):\n${lines.join("\n")}`),
        );
      });
      createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
        if (lines.length < 10_000) lines.push(line);
        if (!line.startsWith("{")) return;
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === "JSON-RPC listening" && entry.url !== undefined) {
          clearTimeout(timer);
          child.removeAllListeners("exit");
          resolve(new NodeProcess(child, entry.url, lines));
        }
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Resolves with the exit code once the process has exited by itself (at once if it already has). */
  exited(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
  }

  /** Sends a signal and waits for the process to be gone. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once("exit", (code) => resolve(code)));
    this.child.kill(signal);
    return exited;
  }
}

/** Sets block_interval_ms in a home's config.toml (tests want blocks faster than the 1 s default). */
export function setBlockInterval(home: string, ms: number): void {
  const path = join(home, "config.toml");
  writeFileSync(
    path,
    readFileSync(path, "utf8").replace(/block_interval_ms = \d+/, `block_interval_ms = ${ms}`),
  );
}

import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { DEFAULT_RPC_LISTEN } from "../node/defaults.ts";
import { NodeUnreachableError } from "../rpc/client.ts";
import { RpcError } from "../rpc/errors.ts";

// Command modules load their heavy dependencies inside their actions, so `opl --help` and client commands
// start fast; this file stays light for the same reason.

export { DEFAULT_CHAIN_ID } from "../node/defaults.ts";
export const DEFAULT_RPC = `http://${DEFAULT_RPC_LISTEN}`;

/**
 * The home of commands that need one when --home is not given: $OPL_HOME, else ~/.opl. (`npm start` names
 * ./.devnet itself.)
 */
export const DEFAULT_HOME = process.env.OPL_HOME || join(homedir(), ".opl");

/** Commands that make their home (or a part of it) when it does not exist yet: the others refuse one. */
const CREATES_HOME = new Set(["init", "keys add", "keys import"]);

/**
 * Refuses a home that does not exist, saying what to run, for every command but those that create one (and
 * `start --init-if-missing`): an RPC command would otherwise fall back to whatever node listens on the default
 * port, and a mistyped --home would act on another chain. Called before every action (bin/cli.ts).
 */
export function checkHomeExists(command: string, opts: { home?: unknown; initIfMissing?: unknown }): void {
  if (typeof opts.home !== "string" || CREATES_HOME.has(command)) return;
  if (command === "start" && opts.initIfMissing === true) return;
  if (!existsSync(opts.home)) {
    throw new CliError("ERROR", `no node home at ${opts.home} (run opl init --home ${opts.home})`);
  }
}

/**
 * The RPC URL to use: --rpc, else the rpc.listen of --home's config.toml, else (--home is a running
 * `opl devnet` directory) its first node from devnet.json, else the default. Without --home, the default
 * home (DEFAULT_HOME) is read when it exists.
 */
export function resolveRpcUrl(opts: { rpc?: string; home?: string }): string {
  if (opts.rpc !== undefined) return opts.rpc;
  const home = opts.home ?? (existsSync(DEFAULT_HOME) ? DEFAULT_HOME : undefined);
  if (home === undefined) return DEFAULT_RPC;
  checkHomeExists("rpc", { home });
  const config = join(home, "config.toml");
  if (existsSync(config)) {
    // Only rpc.listen is needed, so the full config schema (zod) stays off this path.
    const listen = (parseToml(readFileSync(config, "utf8")).rpc as { listen?: unknown } | undefined)?.listen;
    if (typeof listen === "string") return `http://${listen.replace(/^0\.0\.0\.0:/, "127.0.0.1:")}`;
  }
  const devnet = join(home, "devnet.json");
  if (existsSync(devnet)) {
    const rpc = (JSON.parse(readFileSync(devnet, "utf8")) as { nodes?: { rpc?: unknown }[] }).nodes?.[0]?.rpc;
    if (typeof rpc === "string") return rpc;
  }
  return DEFAULT_RPC;
}

/** Exit codes, so a script can tell what failed without parsing messages (listed in `opl --help` and the README). */
export const EXIT = {
  OK: 0,
  /** Bad input, a missing key or file, anything decided on this side. */
  ERROR: 1,
  /** The command line itself: an unknown command or option, a missing argument. */
  USAGE: 2,
  /** The node could not be reached (nothing listening at the RPC URL, a network error). */
  UNREACHABLE: 3,
  /** The node answered with an error: a refused transaction, a thing not found, a budget exceeded. */
  NODE_ERROR: 4,
  /** A transaction was included but failed (--wait), or would fail (--dry-run). */
  TX_FAILED: 5,
  /** --wait gave up: the transaction was not included in time. */
  TIMEOUT: 6,
  /** The reader of opl's output left before it was all written (`| head`): 128 + SIGPIPE, as a shell reports. */
  CLOSED_PIPE: 141,
} as const;

export const EXIT_CODES_HELP =
  "Exit codes: 0 ok; 1 error (bad input, missing key or file); 2 usage (unknown command or option); 3 node unreachable; 4 the node " +
  "answered with an error (refused, not found); 5 transaction failed (--wait) or would fail (--dry-run); " +
  "6 --wait timed out; 141 the reader of the output left (e.g. | head). With --json, an error is one JSON object on stderr: " +
  "{ \"error\": { \"code\": NAME, \"message\", \"rpcCode\"?, \"reason\"? } }.";

/** An error with the exit code it ends the command with. `reported`: its human account is already printed. */
export class CliError extends Error {
  override name = "CliError";
  readonly kind: keyof typeof EXIT;
  readonly reported: boolean;

  constructor(kind: keyof typeof EXIT, message: string, opts: { reported?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.kind = kind;
    this.reported = opts.reported ?? false;
  }
}

/** Prints `value` as JSON with --json, else runs `human` (the readable form of the same answer). */
export function emit(json: boolean | undefined, value: unknown, human: () => void): void {
  if (json) console.log(JSON.stringify(value, null, 2));
  else human();
}

export const JSON_OPTION_HELP = "print JSON (errors: one JSON object on stderr)";

/** Whether this invocation asked for JSON output (errors then go to stderr as JSON too). */
export function jsonOutput(): boolean {
  return process.argv.includes("--json");
}

/**
 * Prints an error (a readable line, or with --json one JSON object on stderr) and sets the exit code that
 * says what failed (EXIT).
 */
export function reportError(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  let kind: keyof typeof EXIT = "ERROR";
  let rpc: { rpcCode: number; reason?: string } | undefined;
  if (err instanceof CliError) kind = err.kind;
  else if (err instanceof NodeUnreachableError) kind = "UNREACHABLE";
  else if (err instanceof RpcError) {
    kind = "NODE_ERROR";
    rpc = { rpcCode: err.code, reason: (err.data as { reason?: string } | undefined)?.reason };
  }
  process.exitCode = EXIT[kind];
  if (jsonOutput()) {
    console.error(JSON.stringify({ error: { code: kind, message, ...rpc } }));
  } else if (!(err instanceof CliError && err.reported)) {
    const suffix = rpc === undefined ? "" : rpc.reason ? ` [${rpc.reason}, code ${rpc.rpcCode}]` : ` [code ${rpc.rpcCode}]`;
    console.error(`error: ${message}${suffix}`);
  }
}

/** Wraps a command action so every failure ends in one readable line and a non-zero exit. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      reportError(err);
    }
  };
}

export function parsePositiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n))
    throw new Error(`${what} must be a non-negative integer, got "${text}"`);
  return n;
}

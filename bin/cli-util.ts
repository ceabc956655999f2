import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { DEFAULT_RPC_LISTEN } from "../node/defaults.ts";
import { RpcError } from "../rpc/errors.ts";

// Command modules load their heavy dependencies inside their actions, so `opl --help` and client commands
// start fast; this file stays light for the same reason.

export { DEFAULT_CHAIN_ID } from "../node/defaults.ts";
export const DEFAULT_RPC = `http://${DEFAULT_RPC_LISTEN}`;

/**
 * The RPC URL to use: --rpc, else the rpc.listen of --home's config.toml, else (--home is a running
 * `opl devnet` directory) its first node from devnet.json, else the default.
 */
export function resolveRpcUrl(opts: { rpc?: string; home?: string }): string {
  if (opts.rpc !== undefined) return opts.rpc;
  if (opts.home === undefined) return DEFAULT_RPC;
  const config = join(opts.home, "config.toml");
  if (existsSync(config)) {
    // Only rpc.listen is needed, so the full config schema (zod) stays off this path.
    const listen = (parseToml(readFileSync(config, "utf8")).rpc as { listen?: unknown } | undefined)?.listen;
    if (typeof listen === "string") return `http://${listen.replace(/^0\.0\.0\.0:/, "127.0.0.1:")}`;
  }
  const devnet = join(opts.home, "devnet.json");
  if (existsSync(devnet)) {
    const rpc = (JSON.parse(readFileSync(devnet, "utf8")) as { nodes?: { rpc?: unknown }[] }).nodes?.[0]?.rpc;
    if (typeof rpc === "string") return rpc;
  }
  return DEFAULT_RPC;
}

/** Prints an error the way a person wants to read it and sets a failing exit code. */
export function reportError(err: unknown): void {
  if (err instanceof RpcError) {
    const reason = (err.data as { reason?: string } | undefined)?.reason;
    console.error(
      `error: ${err.message}${reason ? ` [${reason}, code ${err.code}]` : ` [code ${err.code}]`}`,
    );
  } else {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exitCode = 1;
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

import { existsSync } from "node:fs";
import { homePaths, readConfig } from "../node/config.ts";
import { RpcError } from "../rpc/errors.ts";

export const DEFAULT_RPC = "http://127.0.0.1:26657";

/** The RPC URL to use: --rpc, else the rpc.listen of --home's config.toml, else the default. */
export function resolveRpcUrl(opts: { rpc?: string; home?: string }): string {
  if (opts.rpc !== undefined) return opts.rpc;
  if (opts.home !== undefined && existsSync(homePaths(opts.home).config)) {
    const listen = readConfig(homePaths(opts.home).config).rpc.listen;
    return `http://${listen.replace(/^0\.0\.0\.0:/, "127.0.0.1:")}`;
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

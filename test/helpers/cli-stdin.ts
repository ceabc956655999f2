import { spawn } from "node:child_process";
import { type CliResult, collectOutput, NODE, OPL } from "./processes.ts";

/**
 * Runs `opl` as runCli does, with text on its stdin (a mnemonic, a key file, a "y" to a question) and extra
 * environment (HOME, OPL_HOME: tests never touch the real ~/.opl).
 */
export function runCliWith(
  args: string[],
  opts: { input?: string; env?: Record<string, string> } = {},
  timeoutMs = 30_000,
): Promise<CliResult> {
  const child = spawn(NODE, [OPL, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...opts.env },
  });
  child.stdin.on("error", () => {}); // the command may exit before reading it all
  child.stdin.end(opts.input ?? "");
  return collectOutput(child, `opl ${args.join(" ")}`, timeoutMs);
}

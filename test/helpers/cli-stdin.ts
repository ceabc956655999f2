import { spawn } from "node:child_process";
import { type CliResult, NODE, OPL } from "./processes.ts";

/**
 * Runs `opl` as runCli does, with text on its stdin (a mnemonic, a key file, a "y" to a question) and extra
 * environment (HOME, OPL_HOME: tests never touch the real ~/.opl).
 */
export function runCliWith(
  args: string[],
  opts: { input?: string; env?: Record<string, string> } = {},
  timeoutMs = 30_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [OPL, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...opts.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.stdin.on("error", () => {}); // the command may exit before reading it all
    child.stdin.end(opts.input ?? "");
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`opl ${args.join(" ")} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { NODE, OPL } from "../helpers/processes.ts";

/**
 * `opl ... | head -1`: the reader leaves the pipe before opl has written everything, and the rest of the
 * output has nowhere to go. That is not an error of the command, and it must not print one: opl stops
 * quietly with the status a shell gives a command that SIGPIPE ended (128 + 13), as `git log | head` does,
 * where Node's EPIPE used to end it with an unhandled 'error' event and its stack trace on stderr.
 */
function withClosedStdout(args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const child = spawn(NODE, [OPL, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  // The reading end goes before the child has started: its first write to stdout meets a pipe with no reader.
  child.stdout.destroy();
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`opl ${args.join(" ")} did not end with its stdout closed`));
    }, 30_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

describe("opl with its output piped to a reader that left", () => {
  it.each(["--help", "start --help", "query --help"])("`opl %s` stops quietly with status 141", async (line) => {
    const run = await withClosedStdout(line.split(" "));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(141);
  });

  it("a command's own output (opl version) stops the same way: its output was lost, so not status 0", async () => {
    const run = await withClosedStdout(["version", "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(141);
  });
});

import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { type CliResult, collectOutput, NODE, OPL } from "../helpers/processes.ts";

/**
 * `opl ... | head -1`: the reader leaves the pipe before opl has written everything, and the rest of the
 * output has nowhere to go. That is not an error of the command, and it must not print one: opl stops
 * quietly with the status a shell gives a command that SIGPIPE ended (128 + 13), as `git log | head` does,
 * where Node's EPIPE used to end it with an unhandled 'error' event and its stack trace on stderr.
 */
function withClosedStdout(args: string[]): Promise<CliResult> {
  const child = spawn(NODE, [OPL, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  // The reading end goes before the child has started: its first write to stdout meets a pipe with no reader.
  child.stdout.destroy();
  return collectOutput(child, `opl ${args.join(" ")}`, 30_000);
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

import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collectOutput, NODE } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("collectOutput (what runCli and runCliWith return)", () => {
  it("waits for the output still in the pipe when the child has exited", async () => {
    // The child exits at once; what it left behind (here a grandchild holding its stdout, which writes only
    // once the test has seen the child exit) arrives after "exit". A reader that stopped at "exit" got an
    // empty stdout, as a CLI test once did for a command that had printed its JSON.
    const t = tempDir("opl-collect-");
    try {
      const go = join(t.dir, "go");
      // It gives up after 30 s, so a failed test leaves no process behind.
      const grandchild =
        `const fs = require("node:fs"); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)})) ` +
        `{ clearInterval(t); process.stdout.write("late output"); process.exit(0); } }, 5); ` +
        `setTimeout(() => process.exit(1), 30000);`;
      const child = spawn(
        NODE,
        ["-e", `require("node:child_process").spawn(process.execPath, ["-e", ${JSON.stringify(grandchild)}], { stdio: ["ignore", "inherit", "ignore"] }); process.exit(0);`],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      child.once("exit", () => writeFileSync(go, ""));
      const r = await collectOutput(child, "parent", 30_000);
      expect(existsSync(go)).toBe(true);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("late output");
    } finally {
      t.cleanup();
    }
  });

  it("has all of a child's stdout and stderr, and its exit code", async () => {
    const script = `process.stdout.write("o".repeat(50000)); process.stderr.write("e".repeat(40000)); process.exitCode = 3;`;
    const r = await collectOutput(spawn(NODE, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] }), "writer", 30_000);
    expect(r).toEqual({ code: 3, stdout: "o".repeat(50000), stderr: "e".repeat(40000) });
  });

  it("keeps a character whose bytes arrive in two chunks whole", async () => {
    // "é" is two bytes in UTF-8; the child writes them apart, with a pause, so they come as two reads.
    const script = `process.stdout.write(Buffer.from([0xc3])); setTimeout(() => process.stdout.write(Buffer.from([0xa9])), 50);`;
    const r = await collectOutput(spawn(NODE, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] }), "splitter", 30_000);
    expect(r.stdout).toBe("é");
  });

  it("rejects, naming the command, when the child cannot be started", async () => {
    const child = spawn(join(tmpdir(), "no-such-program-opl"), [], { stdio: ["ignore", "pipe", "pipe"] });
    await expect(collectOutput(child, "missing", 30_000)).rejects.toThrow(/missing failed: .*ENOENT/);
  });

  it("kills a child that does not finish in time and says which", async () => {
    const child = spawn(NODE, ["-e", "process.stdout.write('started'); setInterval(() => {}, 1000)"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    await expect(collectOutput(child, "sleeper", 500)).rejects.toThrow(/sleeper did not finish in 500 ms/);
    if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once("exit", resolve));
    expect(child.signalCode).toBe("SIGKILL");
  });
});

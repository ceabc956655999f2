import { EventEmitter } from "node:events";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { runNode, StartStopped } from "../../node/run-node.ts";

const logger = pino({ level: "silent" });
afterEach(() => {
  process.exitCode = undefined;
});

function fakeNode() {
  const node = { stopped: 0, stop: async () => void node.stopped++ };
  return node;
}

describe("running a node until it stops (opl start)", () => {
  it("a fatal error raised while the node is still starting stops it once it has started, and exits 1", async () => {
    const node = fakeNode();
    const exits: (number | undefined)[] = [];
    const started = runNode({
      start: async (onFatal) => {
        onFatal(new Error("WAL replay diverged")); // before the start resolves
        await new Promise((r) => setTimeout(r, 5));
        return node;
      },
      logger,
      exit: (code) => exits.push(code),
      signals: new EventEmitter() as unknown as NodeJS.Process,
    });
    await expect(started).resolves.toBe(node);
    await new Promise((r) => setTimeout(r, 10));
    expect(node.stopped).toBe(1);
    expect(exits).toEqual([1]);
  });

  it("a start that fails after a fatal error leaves the error to the caller and stops nothing", async () => {
    const exits: (number | undefined)[] = [];
    const started = runNode({
      start: async (onFatal) => {
        onFatal(new Error("block sync failed"));
        throw new Error("port in use");
      },
      logger,
      exit: (code) => exits.push(code),
      signals: new EventEmitter() as unknown as NodeJS.Process,
    });
    await expect(started).rejects.toThrow("port in use");
    await new Promise((r) => setTimeout(r, 10));
    expect(exits).toEqual([]);
    expect(process.exitCode).toBe(1);
  });

  it("SIGTERM during the start aborts its signal; a start that stops for it exits cleanly, at once", async () => {
    const exits: (number | undefined)[] = [];
    const signals = new EventEmitter();
    let aborted = false;
    void runNode({
      // A long start (a streamed genesis): it checks the signal between chunks, and stops when it is aborted.
      start: (_onFatal, signal) =>
        new Promise<ReturnType<typeof fakeNode>>((_resolve, reject) => {
          signal.addEventListener("abort", () => {
            aborted = true;
            reject(new StartStopped("stopped before the genesis was finished"));
          });
        }),
      logger,
      exit: (code) => exits.push(code),
      signals: signals as unknown as NodeJS.Process,
    });
    signals.emit("SIGTERM");
    await new Promise((r) => setTimeout(r, 10));
    expect(aborted).toBe(true);
    expect(exits).toEqual([undefined]);
    expect(process.exitCode).toBeUndefined();
  });

  it("SIGTERM stops a running node once, and exits cleanly", async () => {
    const node = fakeNode();
    const exits: (number | undefined)[] = [];
    const signals = new EventEmitter();
    await runNode({
      start: async () => node,
      logger,
      exit: (code) => exits.push(code),
      signals: signals as unknown as NodeJS.Process,
    });
    signals.emit("SIGTERM");
    signals.emit("SIGTERM");
    await new Promise((r) => setTimeout(r, 10));
    expect(node.stopped).toBe(1);
    expect(exits).toEqual([undefined]);
  });
});

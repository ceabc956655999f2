import type { Logger } from "pino";

/** What `runNode` needs of a node: a way to stop it. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * A start that stopped because a stop was asked for while it ran (SIGTERM during a long genesis write): not a
 * failure. The message says what state it left.
 */
export class StartStopped extends Error {
  override name = "StartStopped";
}

export interface RunNodeOptions<N extends Stoppable> {
  /**
   * Starts the node; `onFatal` may be called at any moment, even before the start has resolved. The process
   * exits with `exitCode` (default 1; an upgrade halt passes its own). `signal` is aborted when a stop is asked
   * for before the start has resolved: a long step (a streamed genesis) checks it between bounded chunks and
   * throws StartStopped.
   */
  start: (onFatal: (err: unknown, exitCode?: number) => void, signal: AbortSignal) => Promise<N>;
  logger: Logger;
  /** Ends the process (tests pass their own). */
  exit: (code: number | undefined) => void;
  /** Where SIGINT/SIGTERM are listened to (tests pass their own emitter). */
  signals?: Pick<NodeJS.Process, "on">;
}

/**
 * Runs a node until SIGINT, SIGTERM or a fatal error, then stops it and exits. Everything the fatal path
 * touches exists before the start begins: a fatal error raised while the node is still starting (a WAL
 * replay that refuses to sign, block sync failing) waits for the start to settle, stops what it built, and
 * exits 1; if the start itself fails, its error is the caller's to report and nothing is stopped twice.
 */
export async function runNode<N extends Stoppable>(opts: RunNodeOptions<N>): Promise<N> {
  const { logger } = opts;
  let stopping = false;
  let exitCode: number | undefined;
  // The started node, or undefined if the start failed: the fatal path can run before (even synchronously
  // inside) the start call, so it waits on this, which exists before the start begins.
  const { promise: settled, resolve: settle } = Promise.withResolvers<N | undefined>();
  const stopAsked = new AbortController();
  const shutdown = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ why }, "stopping");
    stopAsked.abort(); // a start still running stops at its next check instead of running to its end
    const node = await settled;
    if (node === undefined) return; // the start failed: the caller reports its error (exit code set)
    await node.stop();
    logger.flush();
    opts.exit(exitCode);
  };
  const signals = opts.signals ?? process;
  signals.on("SIGINT", () => void shutdown("SIGINT"));
  signals.on("SIGTERM", () => void shutdown("SIGTERM"));
  const started = opts.start((_err, code = 1) => {
    exitCode = code;
    process.exitCode = code; // the node has logged the error itself
    void shutdown(code === 1 ? "fatal error" : `fatal error (exit code ${code})`);
  }, stopAsked.signal);
  started.then(settle, () => settle(undefined));
  return started.catch((err: unknown) => {
    if (!(err instanceof StartStopped)) throw err;
    // Stopped as asked: exit as a stop does, saying what was left. exit() ends the process; a test's exit
    // does not, and sees a start that never resolves.
    logger.info({ reason: err.message }, "stopped during start-up");
    logger.flush();
    opts.exit(exitCode);
    return new Promise<N>(() => {});
  });
}

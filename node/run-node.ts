import type { Logger } from "pino";

/** What `runNode` needs of a node: a way to stop it. */
export interface Stoppable {
  stop(): Promise<void>;
}

export interface RunNodeOptions<N extends Stoppable> {
  /**
   * Starts the node; `onFatal` may be called at any moment, even before the start has resolved. The process
   * exits with `exitCode` (default 1; an upgrade halt passes its own).
   */
  start: (onFatal: (err: unknown, exitCode?: number) => void) => Promise<N>;
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
  const shutdown = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ why }, "stopping");
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
  });
  started.then(settle, () => settle(undefined));
  return started;
}

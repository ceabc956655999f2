import { closeSync, existsSync, openSync, writeSync } from "node:fs";
import type { Fsyncer } from "./durable-file.ts";
import { writeFileAtomic } from "./key-file.ts";

/**
 * The signer state on disk, written in place: the state file and its shadow copy (`<path>.shadow`), each
 * always SIGNER_STATE_FILE_BYTES (the state's JSON line padded with spaces). A new state goes to the shadow
 * first, and is durable (the signature may leave) once that one fdatasync is done; then it goes over the
 * file, and the next state's shadow write waits for that. A crash so tears at most one of the two, and the
 * other holds a whole state that forbids everything that left the node; readSignerState takes the further of
 * the two whole ones (the shadow is ahead after a crash between its write and the file's). After a clean stop
 * (`idle`) the file itself holds the latest state.
 *
 * Issue 12: the file was replaced per signature (temp file, write, chmod, fsync, close, rename, chmod,
 * directory open, fsync, close), ten steps on libuv's thread pool, each resumed by the main thread between
 * its other tasks: own signatures waited 54 ms on average for it (p90 137 ms, at most 329 ms; 3 of them a
 * height, on the height's critical path) in a 4-validator `npm run bench -- --rate 2000`, where each step
 * took milliseconds (an open 3 ms at the median, 30 ms at p90, under that load); the WAL's one fsync 16 ms.
 * Now 18.5 ms (p90 44 ms) in the same bench.
 * Here the open, write and close are synchronous (microseconds: the bytes go to the page cache) and only
 * the fdatasync runs on the pool: one step before the signature may leave. An overwrite of blocks a file
 * already has changes no metadata that fdatasync must flush.
 */
export const SIGNER_STATE_FILE_BYTES = 512;

export function shadowPathOf(path: string): string {
  return `${path}.shadow`;
}

/** Whether a signer state is on disk at `path`: the file, or its shadow (the file lost, its copy kept). */
export function signerStateExists(path: string): boolean {
  return existsSync(path) || existsSync(shadowPathOf(path));
}

/** The state's text as written: its JSON line padded to SIGNER_STATE_FILE_BYTES (JSON allows the spaces). */
export function paddedStateText(text: string): Buffer {
  const line = text.trimEnd();
  const bytes = Buffer.byteLength(line);
  if (bytes >= SIGNER_STATE_FILE_BYTES) {
    throw new Error(`signer state of ${bytes} bytes does not fit in ${SIGNER_STATE_FILE_BYTES}`);
  }
  return Buffer.from(`${line}${" ".repeat(SIGNER_STATE_FILE_BYTES - bytes - 1)}\n`);
}

export class SignerStateStore {
  private readonly path: string;
  private readonly shadow: string;
  private readonly fsyncer: Fsyncer;
  /** The write of the last state over the file itself (rejected if the disk failed it). */
  private fileWrite: Promise<void> = Promise.resolve();
  /** Told at once when that write fails (the shadow still holds the state; the next write rejects). */
  private readonly onFileWriteFailed: (err: unknown) => void;

  /**
   * Prepares the two files for in-place writes, at start-up (blocking): both replaced atomically and
   * durably by `text` padded (temp file, fsync, rename, directory fsync), even when they already read so:
   * what a killed process wrote may still be only in the page cache, and the next in-place write of the
   * shadow must find the file itself on disk (review of issue 12's change). Also how a file of an earlier
   * version (shorter, replaced per write) becomes one of fixed size.
   */
  constructor(path: string, text: string, mode: number, fsyncer: Fsyncer, onFileWriteFailed: (err: unknown) => void) {
    this.path = path;
    this.shadow = shadowPathOf(path);
    this.fsyncer = fsyncer;
    this.onFileWriteFailed = onFileWriteFailed;
    const padded = paddedStateText(text).toString();
    for (const p of [path, this.shadow]) writeFileAtomic(p, padded, mode);
  }

  /**
   * Makes `text` the durable state: resolves once it is in the shadow, on disk. The caller runs one at a time
   * (GuardedSigner's CoalescedJob). Rejects if the disk failed this write or the file's write before it.
   */
  async write(text: string): Promise<void> {
    const padded = paddedStateText(text);
    await this.fileWrite; // the shadow is written over only once the file holds the state before
    await this.overwrite(this.shadow, padded);
    const fileWrite = this.overwrite(this.path, padded);
    fileWrite.catch(this.onFileWriteFailed); // and heard again by the next write, or by idle
    this.fileWrite = fileWrite;
  }

  /** Resolves once the file itself holds the last state written (a stopping node waits for it). */
  idle(): Promise<void> {
    return this.fileWrite;
  }

  private async overwrite(path: string, padded: Buffer): Promise<void> {
    const fd = openSync(path, "r+");
    try {
      const written = writeSync(fd, padded, 0, padded.byteLength, 0);
      if (written !== padded.byteLength) throw new Error(`short write of the signer state ${path}`);
      await (this.fsyncer.datasync !== undefined ? this.fsyncer.datasync(fd) : this.fsyncer.fsync(fd));
    } finally {
      closeSync(fd);
    }
  }
}

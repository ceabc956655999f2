import { closeSync, fdatasync, fsync, fsyncSync, openSync } from "node:fs";
import { dirname } from "node:path";

/**
 * How writes are made durable. The node's default runs each fsync on libuv's thread pool, so the main
 * thread keeps serving peers, timers and RPC while the disk flushes (an fsync takes milliseconds; a
 * validator needs several per height). Tests inject a slow or held one to see what waits for it.
 */
export interface Fsyncer {
  /** Resolves once everything written to `fd` so far is on disk; rejects if the disk failed it. */
  fsync(fd: number): Promise<void>;
  /**
   * As fsync, for a file whose size and blocks did not change (an overwrite in place): fdatasync, which then
   * flushes the data alone, with no file system journal commit. Absent: fsync is used.
   */
  datasync?(fd: number): Promise<void>;
}

export const threadPoolFsync: Fsyncer = {
  fsync: (fd) => new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve()))),
  datasync: (fd) => new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve()))),
};

/** fsyncs a file and its directory, blocking: for start-up only, never on the signing path. */
export function syncFileAndDir(path: string): void {
  for (const p of [path, dirname(path)]) {
    const fd = openSync(p, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

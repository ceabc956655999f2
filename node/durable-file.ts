import { closeSync, fsync, fsyncSync, openSync } from "node:fs";
import { chmod, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * How writes are made durable. The node's default runs each fsync on libuv's thread pool, so the main
 * thread keeps serving peers, timers and RPC while the disk flushes (an fsync takes milliseconds; a
 * validator needs several per height). Tests inject a slow or held one to see what waits for it.
 */
export interface Fsyncer {
  /** Resolves once everything written to `fd` so far is on disk; rejects if the disk failed it. */
  fsync(fd: number): Promise<void>;
}

export const threadPoolFsync: Fsyncer = {
  fsync: (fd) => new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve()))),
};

/**
 * Replaces a file atomically and durably, off the main thread: temp file `<path>.tmp-<pid>` (the sync
 * writeFileAtomic's name, so its stale-file clean-up covers it), fsync, rename, fsync the directory (without
 * it the rename itself can roll back after power loss). The caller must not run two at once for one path.
 */
export async function replaceFileDurably(path: string, content: string, mode: number, fsyncer: Fsyncer): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const file = await open(tmp, "w", mode);
    try {
      await file.writeFile(content);
      await file.chmod(mode); // open's mode is masked by the umask
      await fsyncer.fsync(file.fd);
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await chmod(path, mode);
  const dir = await open(dirname(path), "r");
  try {
    await fsyncer.fsync(dir.fd);
  } finally {
    await dir.close();
  }
}

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

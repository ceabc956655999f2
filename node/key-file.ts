import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

/** Writes a secret file atomically with mode 0600 (see writeFileAtomic), its directory 0700. */
export function writeSecretFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomic(path, content, 0o600);
}

/**
 * Writes a file atomically: temp file `<path>.tmp-<pid>`, fsync, rename, fsync the directory. A failed
 * write removes its temp file; temp files left by processes that died mid-write (their pid is gone) are
 * removed first, so they cannot pile up beside the file.
 */
export function writeFileAtomic(path: string, content: string, mode: number): void {
  removeStaleTempFiles(path);
  const tmp = `${path}${TEMP_INFIX}${process.pid}`;
  try {
    writeFileSync(tmp, content, { mode });
    const fd = openSync(tmp, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  chmodSync(path, mode);
  const dirFd = openSync(dirname(path), "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

const TEMP_INFIX = ".tmp-";

/** Removes the temp files of `path` whose writing process is gone (it died mid-write). */
export function removeStaleTempFiles(path: string): void {
  const prefix = basename(path) + TEMP_INFIX;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return; // no directory yet: nothing stale
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = name.slice(prefix.length);
    if (/^[0-9]+$/.test(pid) && !processAlive(Number(pid))) rmSync(join(dirname(path), name), { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by another user
  }
}

/**
 * Reads a JSON file holding a secret key, refusing it if group or others may read or write it (as ssh
 * does): a key others could read is a key others may have copied, and the operator should know now, not
 * after a double-sign or a theft. Not checked on Windows, whose files have no such mode bits.
 */
export function readSecretJsonFile<T>(path: string, what: string): T {
  if (process.platform !== "win32") {
    let mode: number | undefined;
    try {
      mode = statSync(path).mode & 0o777;
    } catch {
      mode = undefined; // readJsonFile below says what is wrong with the path
    }
    if (mode !== undefined && (mode & 0o077) !== 0) {
      throw new KeyFilePermissionError(
        `${what} ${path} is readable or writable by group or others (mode ${mode.toString(8).padStart(4, "0")}); ` +
        `a secret key file must be private to its owner: chmod 600 ${path}`,
      );
    }
  }
  return readJsonFile<T>(path, what);
}

export class KeyFilePermissionError extends Error {
  override name = "KeyFilePermissionError";
}

export function readJsonFile<T>(path: string, what: string): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === "ENOENT" ? `${what} not found at ${path}` : `cannot read ${what} at ${path}: ${code}`,
      { cause: err },
    );
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${what} at ${path} is not valid JSON`);
  }
}

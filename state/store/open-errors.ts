/** The database is held by another process (LevelDB's LOCK file), most likely another `opl start`. */
export class DatabaseLockedError extends Error {
  override name = "DatabaseLockedError";
}

/** The data directory cannot be written: a read-only file system, or files owned by another user. */
export class DatabaseUnwritableError extends Error {
  override name = "DatabaseUnwritableError";
}

/**
 * Says why LevelDB could not open the database at `path`. LevelDB reports everything as one "IO error"
 * string (e.g. "IO error: lock /d/LOCK: already held by process", "IO error: /d/LOCK: Permission denied"),
 * so the cause is read from its errno text. Matching the word "lock" alone is wrong: the LOCK file's own
 * name is in nearly every message, which once made a read-only directory "in use by another process".
 */
export function openError(path: string, err: unknown): Error {
  const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message ?? "";
  if (/already held by process|Resource temporarily unavailable/i.test(cause)) {
    return new DatabaseLockedError(`the database at ${path} is in use by another process (is another opl running?)`);
  }
  const denied = /Permission denied|Read-only file system|Operation not permitted/i.exec(cause);
  if (denied !== null) {
    return new DatabaseUnwritableError(
      `the database at ${path} cannot be written (${denied[0]}): the data directory is read-only, or owned by ` +
      "another user; run opl as the user who owns the home, or fix its owner and permissions",
      { cause: err },
    );
  }
  return new Error(`cannot open the database at ${path}: ${cause}`, { cause: err });
}

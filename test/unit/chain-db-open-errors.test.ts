import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ChainDb } from "../../state/store/chain-db.ts";
import { tempDir } from "../helpers/tmp.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function freshDb(): { dir: string; path: string } {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  return { dir: tmp.dir, path: join(tmp.dir, "chain.db") };
}

async function openError(path: string): Promise<Error> {
  try {
    const db = await ChainDb.open(path);
    await db.close();
  } catch (err) {
    return err as Error;
  }
  throw new Error(`expected ${path} not to open`);
}

/** Adds o+x to every folder above `paths` that lacks it; returns what undoes that. */
function traversableFor(...paths: string[]): () => void {
  const changed = new Map<string, number>();
  for (const p of paths) {
    for (let d = p; d !== dirname(d); d = dirname(d)) {
      const mode = statSync(d).mode & 0o7777;
      if ((mode & 0o001) === 0 && !changed.has(d)) {
        changed.set(d, mode);
        chmodSync(d, mode | 0o001);
      }
    }
  }
  return () => {
    for (const [d, mode] of changed) chmodSync(d, mode);
  };
}

/**
 * Opens the database as a user who cannot write it. Permission bits do not stop root, and tests may run as
 * root: then the open runs in a child process as `nobody` (uid 65534) on a directory root owns, mode 0555;
 * otherwise in this process, on a directory made 0555. Both are the same real cause: EACCES from LevelDB.
 */
async function openWithoutWriteAccess(dir: string, path: string): Promise<{ name: string; message: string }> {
  chmodSync(path, 0o555);
  try {
    if (process.getuid?.() !== 0) return await openError(path);
    chmodSync(dir, 0o755);
    const probe = join(import.meta.dirname, "../helpers/open-chain-db.ts");
    // `nobody` must reach this checkout (and its pinned node binary): a clone under a 0700 directory (mktemp
    // -d) is out of its reach, so the folders above it are made traversable for the probe, then restored.
    const restore = traversableFor(dirname(process.execPath), import.meta.dirname);
    const child = spawnSync(process.execPath, [probe, path], {
      uid: 65534,
      gid: 65534,
      encoding: "utf8",
      timeout: 45_000, // a fresh Node process on a loaded 2-core machine (the test itself has 60 s)
    });
    restore();
    if (child.status !== 0) {
      throw new Error(`the probe failed (status ${child.status}, ${child.error?.message ?? child.signal}): ${child.stderr}`);
    }
    return JSON.parse(child.stdout) as { name: string; message: string };
  } finally {
    chmodSync(path, 0o755);
  }
}

describe("opening the chain database says why it cannot", () => {
  it("calls a database held by another opener 'in use by another process'", async () => {
    const { path } = freshDb();
    const first = await ChainDb.open(path);
    try {
      const err = await openError(path);
      expect(err.name).toBe("DatabaseLockedError");
      expect(err.message).toMatch(/in use by another process/);
    } finally {
      await first.close();
    }
  });

  it("calls a data directory it may not write read-only, not 'in use'", async () => {
    const { dir, path } = freshDb();
    await (await ChainDb.open(path)).close();
    const seen = await openWithoutWriteAccess(dir, path);
    expect(seen.message).not.toMatch(/in use/);
    expect(seen.name).toBe("DatabaseUnwritableError");
    expect(seen.message).toContain(path);
    expect(seen.message).toMatch(/cannot be written \(Permission denied\)/);
    expect(seen.message).toMatch(/read-only|owner|permissions/);
  });

  it("names any other cause instead of guessing 'in use' (here a LOCK that is a directory)", async () => {
    const { path } = freshDb();
    mkdirSync(join(path, "LOCK"), { recursive: true });
    const err = await openError(path);
    expect(err.message).not.toMatch(/in use/);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/Is a directory/);
  });
});

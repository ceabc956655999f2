import { fstatSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CoalescedJob } from "../../node/coalesced-job.ts";
import type { Fsyncer } from "../../node/durable-file.ts";
import { readWal, Wal } from "../../node/wal.ts";
import { HeldFsync } from "../helpers/held-fsync.ts";
import { tempDir } from "../helpers/tmp.ts";

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

/** A job the test finishes by hand, counting its runs. */
function manualJob() {
  const finishers: ((err?: Error) => void)[] = [];
  const job = new CoalescedJob(
    () => new Promise<void>((resolve, reject) => finishers.push((err) => (err ? reject(err) : resolve()))),
  );
  return { job, finishers };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("group commit (CoalescedJob)", () => {
  it("requests of one tick share one run; requests during a run share the next one", async () => {
    const { job, finishers } = manualJob();
    const first = [job.request(), job.request(), job.request()];
    await turn();
    await turn();
    expect(finishers).toHaveLength(1); // one run for the three
    const during = [job.request(), job.request()];
    await turn();
    expect(finishers).toHaveLength(1); // the next run waits for the one in flight
    finishers[0]();
    await Promise.all(first);
    await turn();
    await turn();
    expect(finishers).toHaveLength(2);
    let settled = false;
    void Promise.all(during).then(() => (settled = true));
    await turn();
    expect(settled).toBe(false); // not before its own run finished
    finishers[1]();
    await Promise.all(during);
  });

  it("a failed run rejects exactly its requests; the next run is unaffected", async () => {
    const { job, finishers } = manualJob();
    const failing = job.request();
    await turn();
    await turn();
    const next = job.request();
    finishers[0](new Error("EIO"));
    await expect(failing).rejects.toThrow("EIO");
    await turn();
    await turn();
    finishers[1]();
    await expect(next).resolves.toBeUndefined();
  });
});

describe("the WAL's flush", () => {
  it("records appended in one tick are made durable by one fsync", async () => {
    const t = tempDir("opl-walflush-");
    cleanup = t.cleanup;
    const fsyncs: number[] = [];
    const counting: Fsyncer = { fsync: async (fd) => void fsyncs.push(fd) };
    const path = join(t.dir, "cs.wal");
    const wal = Wal.open<{ n: number }>(path, counting);
    const flushed: Promise<void>[] = [];
    for (let n = 0; n < 10; n++) {
      wal.append({ n });
      flushed.push(wal.flush());
    }
    await Promise.all(flushed);
    expect(fsyncs).toHaveLength(1);
    await wal.close();
    expect(readWal<{ n: number }>(path).records).toHaveLength(10);
  });
});

describe("the WAL's reset (the next height's file)", () => {
  it("returns before its fsyncs, and a flush after it waits for the new file and its directory entry", async () => {
    const t = tempDir("opl-walreset-");
    cleanup = t.cleanup;
    const fsync = new HeldFsync();
    fsync.holding = () => false;
    const path = join(t.dir, "cs.wal");
    const wal = Wal.open<{ n: number }>(path, fsync);
    wal.append({ n: 1 });
    await wal.flush();

    fsync.holding = () => true; // the disk is slow from here on
    await wal.reset([{ n: 2 }]); // resolves with the file's and the directory's fsyncs still held
    expect(fsync.held).toBe(2);
    expect(readWal<{ n: number }>(path).records).toEqual([{ n: 2 }]); // switched: a killed process reads it
    wal.append({ n: 3 });
    let flushed = false;
    const flush = wal.flush().then(() => (flushed = true));
    for (let i = 0; i < 5; i++) await turn(); // the flush's run starts on a turn, then waits for the reset
    expect(flushed).toBe(false); // the new file's own fsync is not asked for before the reset's are done
    expect(fsync.held).toBe(2);
    fsync.holding = () => false;
    fsync.releaseAll();
    await flush;
    expect(flushed).toBe(true);
    await wal.close();
    expect(readWal<{ n: number }>(path).records).toEqual([{ n: 2 }, { n: 3 }]);
  });

  it("a reset's failed fsync rejects every later flush and reset: nothing is signed on an undurable file", async () => {
    const t = tempDir("opl-walresetfail-");
    cleanup = t.cleanup;
    let failing = false;
    const disk: Fsyncer = {
      fsync: async () => {
        if (failing) throw new Error("EIO: the disk failed the fsync");
      },
    };
    const wal = Wal.open<{ n: number }>(join(t.dir, "cs.wal"), disk);
    failing = true;
    await wal.reset([{ n: 1 }]);
    failing = false; // the disk works again: too late, the pages may be gone
    wal.append({ n: 2 });
    await expect(wal.flush()).rejects.toThrow(/EIO/);
    await expect(wal.flush()).rejects.toThrow(/EIO/);
    await expect(wal.reset([{ n: 3 }])).rejects.toThrow(/EIO/);
    await wal.close();
  });
});

describe("the WAL's close after a reset", () => {
  it("waits for the reset's fsyncs and a flush asked meanwhile: no descriptor is closed under an fsync", async () => {
    const t = tempDir("opl-walresetclose-");
    cleanup = t.cleanup;
    const held: (() => void)[] = [];
    const sawClosed: number[] = [];
    let holding = false;
    const disk: Fsyncer = {
      fsync: (fd) =>
        new Promise<void>((resolve) => {
          const run = () => {
            try {
              fstatSync(fd); // what a real fsync would need: the descriptor still open
            } catch {
              sawClosed.push(fd);
            }
            resolve();
          };
          if (holding) held.push(run);
          else setImmediate(run);
        }),
    };
    const wal = Wal.open<{ n: number }>(join(t.dir, "cs.wal"), disk);
    holding = true;
    await wal.reset([{ n: 1 }]);
    expect(held).toHaveLength(2);
    const closed = wal.close();
    wal.append({ n: 2 });
    const flushed = wal.flush(); // asked while close waits for the reset
    await turn();
    holding = false;
    for (const run of held.splice(0)) run();
    await flushed;
    await closed;
    expect(sawClosed).toEqual([]);
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";

// A file system that takes at most 1,000 bytes a write and says so (as a disk filling up does): node:fs's
// writeSync returns the count, and does not loop.
const fsState = vi.hoisted(() => ({ short: false, calls: 0 }));
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  const writeSync = ((fd: number, buffer: Uint8Array, offset?: number, length?: number, position?: number | null) => {
    if (!fsState.short || !(buffer instanceof Uint8Array)) {
      return (real.writeSync as (...a: unknown[]) => number)(fd, buffer, offset, length, position);
    }
    fsState.calls++;
    const start = offset ?? 0;
    const n = Math.min(1_000, length ?? buffer.byteLength - start);
    return real.writeSync(fd, buffer, start, n, position);
  }) as typeof real.writeSync;
  return { ...real, default: { ...real, writeSync }, writeSync };
});

const { readWal, Wal } = await import("../../node/wal.ts");
const { tempDir } = await import("../helpers/tmp.ts");

let cleanups: (() => void)[] = [];
afterEach(() => {
  fsState.short = false;
  for (const c of cleanups) c();
  cleanups = [];
});

describe("consensus WAL on a file system that writes short", () => {
  it("appends every byte of a record, in as many writes as it takes", async () => {
    const t = tempDir("opl-wal-short-");
    cleanups.push(t.cleanup);
    const path = `${t.dir}/wal`;
    const wal = Wal.open<{ t: string; n?: number; bytes?: Uint8Array }>(path);
    const big = new Uint8Array(10_000).map((_, i) => i % 251);
    fsState.short = true;
    wal.append({ t: "block", bytes: big });
    wal.append({ t: "vote", n: 7 });
    fsState.short = false;
    await wal.flush();
    await wal.close();
    expect(fsState.calls).toBeGreaterThan(10); // the record took several writes
    const read = readWal<{ t: string; n?: number; bytes?: Uint8Array }>(path);
    // Before, the first write's 1,000 bytes were all of the record: torn, and the vote after it unreadable.
    expect(read.droppedTail).toBe(0);
    expect(read.records).toHaveLength(2);
    expect(read.records[0].t).toBe("block");
    expect(Buffer.from(read.records[0].bytes as Uint8Array).equals(Buffer.from(big))).toBe(true);
    expect(read.records[1]).toEqual({ t: "vote", n: 7 });
  });
});

import type { Level } from "level";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { concatBytes, readU64be, u64be, utf8 } from "../../crypto/bytes.ts";
import type { RpcContext } from "../../rpc/context.ts";
import { RpcError } from "../../rpc/errors.ts";
import { WorkPacer } from "../../rpc/pacer.ts";
import { RequestScope } from "../../rpc/request-scope.ts";
import { Semaphore } from "../../rpc/semaphore.ts";
import { listAt } from "../../rpc/state-query.ts";
import { ChainDb, type StateScan } from "../../state/store/chain-db.ts";
import type { StateWrite } from "../../state/view.ts";
import { tempDir } from "../helpers/tmp.ts";
import { smallBlock } from "../helpers/max-block.ts";

/**
 * Listing state at past heights from a real LevelDB. The history bucket keeps one entry per (key, height), so
 * a key rewritten at every height has as many versions as heights: a scan must jump over them, not walk them,
 * and a page must stop after a bounded number of keys even when they are all absent at that height.
 */

const PREFIX = utf8("t/");
const key = (id: number) => concatBytes(PREFIX, u64be(id));
const KEY_LENGTH = PREFIX.byteLength + 8;
const META = {
  hash: new Uint8Array(32),
  commit: { height: 0, round: 0, blockHash: new Uint8Array(32), signatures: [] },
  numTxs: 0,
};

/** Key 1 is rewritten at every height 1..REWRITES (its value: the height). */
const REWRITES = 3000;
/** Keys FIRST_MANY.. are written at height 1; at height 2 all but the last 3 are deleted. */
const FIRST_MANY = 100_000;
const MANY = 10_050;
const LATEST = REWRITES;

/**
 * Keys 1..5: 1 rewritten at every height; 2 written at 1; 3 written at 5, deleted at 10, written again at 20;
 * 4 written at 1 and deleted at 2; 5 written at 50. Plus a key of another length under the prefix.
 */
function history(): Map<number, StateWrite[]> {
  const byHeight = new Map<number, StateWrite[]>();
  const write = (height: number, k: Uint8Array, value: Uint8Array | undefined) =>
    byHeight.set(height, [...(byHeight.get(height) ?? []), { key: k, value }]);
  for (let h = 1; h <= REWRITES; h++) write(h, key(1), u64be(h));
  write(1, key(2), utf8("two"));
  write(5, key(3), utf8("three at 5"));
  write(10, key(3), undefined);
  write(20, key(3), utf8("three at 20"));
  write(1, key(4), utf8("four"));
  write(2, key(4), undefined);
  write(50, key(5), utf8("five"));
  write(1, concatBytes(PREFIX, Uint8Array.of(9)), utf8("another length"));
  for (let i = 0; i < MANY; i++) {
    write(1, key(FIRST_MANY + i), utf8("many"));
    if (i < MANY - 3) write(2, key(FIRST_MANY + i), undefined);
  }
  return byHeight;
}

let db: ChainDb;
let cleanup: () => void;
/** LevelDB entries read through iterators (next() calls): what a scan's cost grows with. */
let reads = 0;

/** Counts next() on every iterator the database opens (the store's own reads, unchanged otherwise). */
function countReads(chain: ChainDb): void {
  const level = (chain as unknown as { db: Level<Uint8Array, Uint8Array> }).db as unknown as Record<
    string,
    (options: object) => { next: () => Promise<unknown> }
  >;
  for (const factory of ["iterator", "keys"]) {
    const original = level[factory].bind(level);
    level[factory] = (options: object) => {
      const it = original(options);
      const next = it.next.bind(it);
      it.next = () => {
        reads++;
        return next();
      };
      return it;
    };
  }
}

beforeAll(async () => {
  const tmp = tempDir("opl-scan-");
  cleanup = tmp.cleanup;
  db = await ChainDb.open(tmp.dir);
  const byHeight = history();
  for (const height of [...byHeight.keys()].sort((a, b) => a - b)) {
    const writes = byHeight.get(height) as StateWrite[];
    const block = { height, block: smallBlock(), blockBytes: new Uint8Array(0), meta: META, txs: [], writes };
    await db.commitBlock(block);
  }
  countReads(db);
}, 120_000);

afterAll(async () => {
  await db?.close();
  cleanup?.();
});

/** A scan's entries as [id, value], key 1's value read as its height. */
function shown(scan: StateScan): [number, string][] {
  return scan.entries.map(([k, v]) => {
    const id = readU64be(k, PREFIX.byteLength);
    return [id, id === 1 ? String(readU64be(v)) : Buffer.from(v).toString()];
  });
}

/** Keys 1..5 only (the first five keys of the prefix). */
const firstFive = (height: number) =>
  db.scanState({ prefix: PREFIX, keyLength: KEY_LENGTH, height, limit: 100, maxVisits: 5 });

describe("ChainDb.scanState", () => {
  it("gives each key's value at a past height, skipping keys absent then (not yet written, or deleted)", async () => {
    expect(shown(await firstFive(1))).toEqual([[1, "1"], [2, "two"], [4, "four"]]);
    expect(shown(await firstFive(3))).toEqual([[1, "3"], [2, "two"]]);
    expect(shown(await firstFive(7))).toEqual([[1, "7"], [2, "two"], [3, "three at 5"]]);
    expect(shown(await firstFive(15))).toEqual([[1, "15"], [2, "two"]]);
    expect(shown(await firstFive(60))).toEqual([[1, "60"], [2, "two"], [3, "three at 20"], [5, "five"]]);
    expect(shown(await firstFive(LATEST - 1))).toEqual([
      [1, String(LATEST - 1)], [2, "two"], [3, "three at 20"], [5, "five"],
    ]);
    // The latest values have no absent keys to visit: the fifth key visited is a later one.
    expect(shown(await firstFive(LATEST)).slice(0, 4)).toEqual([
      [1, String(LATEST)], [2, "two"], [3, "three at 20"], [5, "five"],
    ]);
    const scan = await firstFive(60);
    expect(scan).toMatchObject({ visited: 5, done: false });
    expect(new Uint8Array(scan.lastKey as Uint8Array)).toEqual(key(5));
  });

  it("jumps over a key's versions: a key rewritten at every height costs a few reads, not one per version", async () => {
    const times: number[] = [];
    for (const height of [2, REWRITES / 2, LATEST - 1]) {
      reads = 0;
      const started = performance.now();
      const scan = await db.scanState({ prefix: PREFIX, keyLength: KEY_LENGTH, height, limit: 1 });
      times.push(performance.now() - started);
      expect(shown(scan)).toEqual([[1, String(height)]]);
      // A few versions in order, then a seek to the one in force: walking every version read ~REWRITES.
      expect(reads, `reads at height ${height}`).toBeLessThanOrEqual(20);
    }
    // The reads are the check; the time only backs it up. The fastest of three: one stall of a loaded machine
    // (a GC, a descheduled process) is not the scan's cost.
    expect(Math.min(...times)).toBeLessThan(250);
  });

  it("pages with lastKey as the next `after`, at a past height and at the latest, the same as one scan", async () => {
    for (const height of [2, 60, LATEST]) {
      const whole = await db.scanState({ prefix: PREFIX, keyLength: KEY_LENGTH, height, limit: 1_000_000 });
      expect(whole.done).toBe(true);
      const paged: [Uint8Array, Uint8Array][] = [];
      let after: Uint8Array | undefined;
      for (let pages = 0; ; pages++) {
        expect(pages).toBeLessThan(20);
        const scan = await db.scanState({ prefix: PREFIX, keyLength: KEY_LENGTH, height, after, limit: 2 });
        paged.push(...scan.entries);
        if (scan.done) break;
        after = scan.lastKey;
      }
      expect(paged).toEqual(whole.entries);
      const ids = whole.entries.map(([k]) => readU64be(k, PREFIX.byteLength));
      const lastThree = [FIRST_MANY + MANY - 3, FIRST_MANY + MANY - 2, FIRST_MANY + MANY - 1];
      if (height === 2) expect(ids).toEqual([1, 2, ...lastThree]);
      else expect(ids).toEqual([1, 2, 3, 5, ...lastThree]);
    }
  });

  it("stops after maxVisits keys even when none of them is present, and says where it stopped", async () => {
    reads = 0;
    const scan = await db.scanState({
      prefix: PREFIX, keyLength: KEY_LENGTH, height: 2, after: key(5), limit: 10, maxVisits: 100,
    });
    expect(scan).toMatchObject({ entries: [], visited: 100, done: false });
    expect(new Uint8Array(scan.lastKey as Uint8Array)).toEqual(key(FIRST_MANY + 99));
    expect(reads).toBeLessThanOrEqual(2 * 100 + 1); // two versions each (written, deleted), then the next key
  });
});

describe("listAt (rpc/state-query.ts)", () => {
  const scope = (maxWork = 1_000_000, signal = new AbortController().signal) =>
    new RequestScope({ signal, maxWork, scans: new Semaphore(1), pacer: new WorkPacer() });
  const list = (height: number | undefined, cursor: string | undefined, limit: number, request = scope()) =>
    listAt({ app: { info: () => ({ height: LATEST }) }, db, request } as unknown as RpcContext, {
      prefix: PREFIX,
      idLength: 8,
      height,
      cursor,
      limit,
      select: async (id) => readU64be(id),
    });

  it("bounds a page by the keys it visits, absent ones included, and goes on from its cursor", async () => {
    // At height 2, 10,047 keys in a row are deleted: the first page stops after 10,000 visits with a cursor.
    const first = await list(2, undefined, 20);
    expect(first.items).toEqual([1, 2]);
    expect(first.nextCursor).not.toBeNull();
    const second = await list(2, first.nextCursor as string, 20);
    expect(second.items).toEqual([FIRST_MANY + MANY - 3, FIRST_MANY + MANY - 2, FIRST_MANY + MANY - 1]);
    expect(second.nextCursor).toBeNull();
    expect(second.height).toBe(2);
  });

  it("counts every key it visits against the request's work budget, and stops the request past it", async () => {
    const request = scope(25_000);
    const first = await list(2, undefined, 20, request);
    expect(request.workDone).toBe(10_000); // the keys visited, absent ones included
    await list(2, first.nextCursor as string, 20, request);
    const tight = scope(5_000);
    const err = await list(2, undefined, 20, tight).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).message).toContain("work budget of 5000 keys exceeded (rpc.max_request_work)");
    expect(tight.workDone).toBe(5_000);
  });

  it("stops a scan whose client went away", async () => {
    const controller = new AbortController();
    const request = scope(1_000_000, controller.signal);
    controller.abort(new Error("gone"));
    await expect(list(2, undefined, 20, request)).rejects.toThrow("gone");
    expect(request.workDone).toBe(0);
  });

  it("round-trips cursors a page of one at a time", async () => {
    const ids: number[] = [];
    let cursor: string | undefined;
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(20);
      const page = await list(60, cursor, 1);
      ids.push(...page.items);
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(ids).toEqual([1, 2, 3, 5, FIRST_MANY + MANY - 3, FIRST_MANY + MANY - 2, FIRST_MANY + MANY - 1]);
    const latest = await list(undefined, undefined, 100);
    expect(latest).toMatchObject({ items: ids, nextCursor: null, height: LATEST });
  });
});

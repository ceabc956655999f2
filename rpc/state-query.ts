import { PrunedHeightError } from "../state/tree/errors.ts";
import { keyId, type StateReader } from "../state/view.ts";
import type { RpcContext } from "./context.ts";
import { appError } from "./errors.ts";

/**
 * Reading module state at a height for queries. The modules' getters are synchronous functions of a
 * StateReader (the same code the state machine runs). At the latest height they read the in-memory state;
 * at a past height, `readAt` runs the getter against a cache and fetches the keys it missed from the
 * database's history, then runs it again, until nothing is missing: a query is a few passes of the very
 * code that wrote the state, never a second implementation of it.
 */

/** Resolves an optional `height` to a readable one, or says why it cannot be read. */
export function resolveHeight(ctx: RpcContext, height: number | undefined): { height: number; latest: boolean } {
  const latest = ctx.app.info().height;
  if (height === undefined || height === latest) return { height: latest, latest: true };
  if (height > latest) {
    throw appError(
      "HEIGHT_NOT_AVAILABLE",
      `height ${height} is in the future; the latest height is ${latest}`,
      { latest },
    );
  }
  const oldest = ctx.db.oldestRetained;
  if (height < oldest) {
    // PrunedHeightError's words, as an answer: the state below `oldest` was pruned ([state] keep_recent).
    throw appError("HEIGHT_NOT_AVAILABLE", new PrunedHeightError(height, oldest).message, { latest, oldest });
  }
  return { height, latest: false };
}

/**
 * Most passes of a getter at a past height (a getter's reads depend on each other only a few levels deep).
 * The deepest chain the module getters have is a lineage walk: a model, then up to MAX_ADAPTER_DEPTH (4,
 * state/modules/models/models.ts) parents one after another, so 16 passes leave room; an unbounded adapter chain
 * would have needed one pass per ancestor.
 */
const MAX_PASSES = 16;

export async function readAt<T>(
  ctx: RpcContext,
  height: number | undefined,
  getter: (view: StateReader) => T,
): Promise<{ value: T; height: number }> {
  const at = resolveHeight(ctx, height);
  if (at.latest) {
    // Keys read at the latest height count against the request's budget too, each distinct key once (as
    // the history's): a live tally reads six per validator (up to maxCandidates, 1,000), and a batch of
    // them went uncounted, however large. The state's decoded records are still used (getRecordId).
    const state = ctx.state;
    const read = new Set<string>();
    const counted: StateReader = {
      get: (key) => {
        const id = keyId(key);
        read.add(id);
        return state.getId(id, key);
      },
      getId: (id, key) => {
        read.add(id);
        return state.getId(id, key);
      },
      getRecordId: (id, key, codec) => {
        read.add(id);
        return state.getRecordId(id, key, codec);
      },
    };
    const value = getter(counted);
    ctx.request.charge(read.size);
    return { value, height: at.height };
  }
  const cache = new Map<string, Uint8Array | undefined>();
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const missing = new Map<string, Uint8Array>();
    const view: StateReader = {
      get(key) {
        const id = keyId(key);
        if (cache.has(id)) return cache.get(id);
        missing.set(id, key);
        return undefined;
      },
    };
    const value = getter(view);
    if (missing.size === 0) return { value, height: at.height };
    ctx.request.charge(missing.size); // keys fetched from the history count against the request's budget
    for (const [id, key] of missing) cache.set(id, await ctx.db.getStateAt(key, at.height));
  }
  throw new Error(`a query read more than ${MAX_PASSES} levels of dependent keys`);
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
  height: number;
}

/**
 * Lists the keys under `prefix` (all of length prefix + idLength) at a height, a page at a time. The cursor
 * is the hex of the id part of the last key the page looked at (returned, filtered out, or absent at that
 * height). `select` turns each key's id part into an item, or undefined to skip it (a filter); it may read
 * more state through readAt, but must not start another listAt (the scan holds one of the node's scan slots).
 */
export async function listAt<T>(
  ctx: RpcContext,
  opts: {
    prefix: Uint8Array;
    idLength: number;
    height: number | undefined;
    cursor: string | undefined;
    limit: number;
    select: (id: Uint8Array, value: Uint8Array, height: number) => Promise<T | undefined>;
  },
): Promise<Page<T>> {
  const at = resolveHeight(ctx, opts.height);
  const items: T[] = [];
  let after: Uint8Array | undefined;
  if (opts.cursor !== undefined) {
    // The length first: the pattern then reads a few dozen characters, never a megabyte a client sent.
    if (opts.cursor.length !== opts.idLength * 2 || !/^([0-9a-f]{2})+$/.test(opts.cursor)) {
      throw appError("INVALID_CURSOR", "cursor is not one this method returned");
    }
    after = new Uint8Array([...opts.prefix, ...Buffer.from(opts.cursor, "hex")]);
  }
  const page = (more: boolean): Page<T> => ({
    items,
    nextCursor: more && after !== undefined ? Buffer.from(after.subarray(opts.prefix.byteLength)).toString("hex") : null,
    height: at.height,
  });
  // Filters may skip entries, and at a past height keys may be absent: read in batches until the page is
  // full, visiting at most SCAN_LIMIT keys (whether returned, filtered out or absent), so that a page costs a
  // bounded amount of work whatever the list holds; a page cut short by that comes back with a cursor.
  // Every key visited counts against the request's work budget (taken before the read, the unused part given
  // back), the scan waits for one of the node's scan slots, and it stops between batches if the client left.
  const scope = ctx.request;
  return scope.scan(async () => {
    let visited = 0;
    for (;;) {
      const granted = scope.reserve(Math.min(SCAN_LIMIT - visited, SCAN_BATCH));
      const scan = await ctx.db.scanState({
        prefix: opts.prefix,
        keyLength: opts.prefix.byteLength + opts.idLength,
        height: at.height, // pinned: every batch reads the state of this one height, even if blocks commit meanwhile
        after,
        limit: Math.max(opts.limit, 100),
        maxVisits: granted,
      });
      scope.refund(granted - scan.visited);
      visited += scan.visited;
      for (const [key, value] of scan.entries) {
        after = key;
        const item = await opts.select(key.subarray(opts.prefix.byteLength), value, at.height);
        if (item !== undefined) items.push(item);
        if (items.length >= opts.limit) return page(true);
        await scope.breathe(); // decoding a page of large records is work enough to hold consensus up
      }
      if (scan.done) return page(false);
      after = scan.lastKey ?? after;
      if (visited >= SCAN_LIMIT) return page(true);
      scope.check();
    }
  });
}

/** Most keys one page request visits (a page may come back short, with a cursor). */
const SCAN_LIMIT = 10_000;

/** Most keys one read of a scan visits: between reads the scan re-checks its request (hang-up, budgets). */
const SCAN_BATCH = 1_000;

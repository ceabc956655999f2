import { z } from "zod";
import { toBase64, toHex } from "../../crypto/bytes.ts";
import { decodeTx } from "../../proto/tx.ts";
import type { TxEvent, TxRecord, TxResult } from "../../proto/records.ts";
import { blockEventTerms, isAddressAttribute, isIndexedAttribute, txIndexTerms } from "../../state/index-terms.ts";
import {
  BLOCK_EVENTS_POSITION,
  eventTerm,
  type IndexTerm,
  indexKey,
  indexPlace,
  indexPrefix,
  MAX_INDEX_TERM_BYTES,
  textTermPrefix,
} from "../../state/store/tx-index.ts";
import type { RpcContext } from "../context.ts";
import { appError, INVALID_PARAMS, RpcError } from "../errors.ts";
import { method } from "../method.ts";
import { addressSchema, countOut, heightOut, heightSchema } from "../schemas.ts";
import { BLOCK_BYTES_PER_WORK } from "../block-read-charge.ts";
import { MAX_BLOCK_TX_PAGE, txLimitSchema, txOffsetSchema } from "../block-tx-page.ts";
import { blockEventsItemOut, eventOut, txItemOut } from "../result-schemas.ts";
import { decodeCursor, encodeCursor, queryDigest, type SearchPlace } from "../search-cursor.ts";
import { resultView, txBodyView } from "../views.ts";

/** Most items one tx_search page returns. */
export const MAX_SEARCH_LIMIT = 100;
/**
 * Most index keys one page scans (each counts against rpc.max_request_work, as does each item read): a search
 * whose other filters match few of its first filter's items returns a short page and a cursor to go on from.
 */
export const MAX_SEARCH_SCAN_KEYS = 10_000;
/** Items read at once while scanning. */
const READ_GROUP = 20;
/** Keys read per LevelDB range read while scanning. */
const SCAN_CHUNK = 256;

const nonEmpty = (what: string) => z.string({ error: `${what} must be a string` }).min(1, `${what} is empty`).max(256);

/** tx_search's params; its filters (address, type, event) are what a subscription's filter will be. */
export const searchParams = z
  .strictObject({
    address: addressSchema.optional(),
    type: nonEmpty("type").optional(),
    event: z
      .strictObject({ type: nonEmpty("event.type"), attribute: nonEmpty("event.attribute"), value: nonEmpty("event.value") })
      .optional(),
    fromHeight: heightSchema.min(1, "fromHeight must be >= 1").optional(),
    toHeight: heightSchema.min(1, "toHeight must be >= 1").optional(),
    order: z.enum(["asc", "desc"]).default("asc"),
    cursor: z.string({ error: "cursor must be a string" }).max(64).optional(),
    limit: z.number().int().min(1).max(MAX_SEARCH_LIMIT, `limit must be <= ${MAX_SEARCH_LIMIT}`).default(20),
  })
  .refine((p) => p.address !== undefined || p.type !== undefined || p.event !== undefined, {
    message:
      "give at least one filter: address, type or event (an unfiltered search would be every tx of the chain: " +
      "read blocks with chain_getBlockResults instead)",
  })
  .refine((p) => p.fromHeight === undefined || p.toHeight === undefined || p.fromHeight <= p.toHeight, {
    message: "fromHeight must not be above toHeight",
  });

export type SearchParams = z.infer<typeof searchParams>;
/** The filter keys of a search, which a WebSocket subscription's filter shares (rpc/ws/). */
export type SearchFilter = Pick<SearchParams, "address" | "type" | "event">;

export function txItemView(hash: Uint8Array, record: TxRecord & { result: TxResult }) {
  const tx = decodeTx(record.tx);
  return {
    kind: "tx" as const,
    height: record.height,
    index: record.index,
    hash: toHex(hash),
    tx: txBodyView(tx.body, tx.sender),
    /** The signed tx as committed: sha256 of these bytes is `hash`, and the signature verifies over them. */
    raw: toBase64(record.tx),
    result: resultView(record.result),
  };
}

/**
 * Each tx of block `height` as tx_get shows it, raw bytes included. Each counts against the work budget as a
 * key, and its bytes past the first KiB as a block's do (BLOCK_BYTES_PER_WORK): a page of 1,000 txs of 16 KiB
 * reads 16 MB, which counted as 1,000 keys, so a request could read ~1.5 GB of them.
 */
export async function blockTxItems(ctx: RpcContext, height: number, hashes: readonly Uint8Array[]) {
  ctx.request.charge(hashes.length);
  const txs = [];
  for (const hash of hashes) {
    const record = await ctx.db.getTx(hash);
    if (record === undefined) throw new Error(`tx ${toHex(hash)} of block ${height} is missing from the store`);
    const beyondFirstKiB = Math.ceil(record.tx.byteLength / BLOCK_BYTES_PER_WORK) - 1;
    if (beyondFirstKiB > 0) ctx.request.charge(beyondFirstKiB);
    txs.push(txItemView(hash, record));
    await ctx.request.breathe();
  }
  return txs;
}

/**
 * The term a search scans: its address, else its event attribute (through the address index when the value is
 * an address), else its type. The other filters are checked on each item read. A text term over
 * MAX_INDEX_TERM_BYTES of UTF-8 is never indexed (each part fits the schema's 256 characters, the event's
 * three together, or non-ASCII text, need not): the search scans by another filter, and with none it is
 * refused. Every term returned has a key prefix (indexPrefix does not throw on it).
 */
export function primaryTerm(p: SearchFilter): IndexTerm {
  if (p.address !== undefined) return { kind: "address", value: p.address };
  let tooLong: RpcError | undefined;
  if (p.event !== undefined) {
    const { type, attribute, value } = p.event;
    if (isIndexedAttribute(attribute, value)) {
      const term = eventTerm(type, attribute, value);
      if (isIndexable("event", term)) return { kind: "event", value: term };
      tooLong = tooLongToSearch("event", "its type, attribute and value together make");
    }
    if (isAddressAttribute(attribute, value)) return { kind: "address", value };
  }
  if (p.type !== undefined) {
    if (isIndexable("type", p.type)) return { kind: "type", value: p.type };
    tooLong ??= tooLongToSearch("type", "it is");
  }
  if (tooLong !== undefined) throw tooLong;
  throw new RpcError(
    INVALID_PARAMS,
    `event attribute "${p.event?.attribute}" is a quantity and not indexed: search it together with an address or type`,
  );
}

/** The refusal of a search whose only filter that could be scanned is too long to be in the index. */
function tooLongToSearch(filter: "event" | "type", is: string): RpcError {
  return new RpcError(
    INVALID_PARAMS,
    `${filter} is too long to search by: ${is} over ${MAX_INDEX_TERM_BYTES} bytes of UTF-8 (MAX_INDEX_TERM_BYTES), ` +
    "which the index never holds; search it together with an address or a type",
  );
}

/** Whether a text term fits the index (MAX_INDEX_TERM_BYTES of UTF-8): a longer one has no key prefix. */
function isIndexable(kind: "type" | "event", text: string): boolean {
  return textTermPrefix(kind, text) !== undefined;
}

export interface ReadItem {
  view: unknown;
  type: string | undefined;
  addresses: readonly IndexTerm[];
  events: readonly TxEvent[];
}

/** Whether an item (a tx with its result, or a block's events) meets every filter given. */
export function matches(item: ReadItem, p: SearchFilter): boolean {
  if (p.type !== undefined && item.type !== p.type) return false;
  if (p.address !== undefined && !item.addresses.some((t) => t.kind === "address" && t.value === p.address)) return false;
  if (p.event !== undefined) {
    const { type, attribute, value } = p.event;
    const names = (e: TxEvent) => e.type === type && e.attributes.some((a) => a.key === attribute && a.value === value);
    if (!item.events.some(names)) return false;
  }
  return true;
}

/** The place right after `p` in key order. */
function after(p: SearchPlace): SearchPlace {
  if (p.position === BLOCK_EVENTS_POSITION) return { height: p.height + 1, position: 0 };
  return { height: p.height, position: p.position + 1 };
}

/** One page of a search, from the index (see tx_search). */
export async function search(p: SearchParams, ctx: RpcContext) {
  if (!ctx.app.indexing) {
    throw appError(
      "INDEX_DISABLED",
      "this node keeps no search index ([index] enabled = false in its config.toml): ask a node that indexes",
    );
  }
  const tip = ctx.app.info().height;
  if (p.fromHeight !== undefined && p.fromHeight > tip) {
    throw appError("HEIGHT_NOT_AVAILABLE", `fromHeight ${p.fromHeight} is beyond the latest height ${tip}`, {
      latest: tip,
    });
  }
  const { address, type, event, fromHeight, toHeight, order } = p;
  const digest = queryDigest({ address, type, event, fromHeight, toHeight, order });
  const start = p.cursor === undefined ? undefined : decodeCursor(p.cursor, digest);
  const prefix = indexPrefix(primaryTerm(p));
  const low = fromHeight ?? 1;
  // Descending from the tip as of the first page; ascending goes on into blocks committed later.
  const high = toHeight ?? (order === "desc" ? tip : Number.MAX_SAFE_INTEGER - 1);
  let gte = indexKey(prefix, low, 0);
  let lt = indexKey(prefix, high + 1, 0);
  if (start !== undefined) {
    if (order === "asc") {
      const next = after(start);
      gte = indexKey(prefix, Math.max(low, next.height), next.height < low ? 0 : next.position);
    } else if (start.height <= high) {
      // A cursor never widens the query: its place (an unkeyed digest binds it to the query, not to a range
      // the node issued) only narrows the range below toHeight.
      lt = indexKey(prefix, start.height, start.position);
    }
  }

  const filters = [p.address, p.type, p.event].filter((f) => f !== undefined).length;
  const items: unknown[] = [];
  let last: SearchPlace | undefined;
  let done = false;
  const budget = ctx.request.reserve(MAX_SEARCH_SCAN_KEYS);
  let used = 0;
  try {
    await ctx.request.scan(async () => {
      while (items.length < p.limit) {
        const room = budget - used;
        if (room <= 0) return;
        // With one filter every key is an item: read no more keys than the page still needs.
        const asked = Math.min(room, filters === 1 ? p.limit - items.length : SCAN_CHUNK);
        const keys = await ctx.db.keysIn(gte, lt, order === "desc", asked);
        used += keys.length;
        if (keys.length === 0) {
          done = true;
          return;
        }
        // Items are read a group at a time, in parallel (LevelDB reads run on its thread pool), then taken in order.
        for (let g = 0; g < keys.length && items.length < p.limit;) {
          const group = keys.slice(g, g + Math.min(READ_GROUP, p.limit - items.length));
          g += group.length;
          const places = group.map((k) => indexPlace(k, prefix.byteLength));
          // A block's tx hashes are kept for one group only (items come in height order): a page whose items
          // lie each in another big block holds at most READ_GROUP blocks' hashes, not one per item read.
          const hashesAt = new Map<number, Promise<Uint8Array[] | undefined>>();
          const read = await Promise.all(places.map((place) => readItem(ctx, place, hashesAt)));
          used += read.length;
          for (let i = 0; i < read.length; i++) {
            last = places[i];
            const item = read[i];
            if (item !== undefined && matches(item, p)) items.push(item.view);
          }
        }
        if (items.length >= p.limit) return;
        if (keys.length < asked) {
          done = true;
          return;
        }
        const next = after(last as SearchPlace);
        if (order === "asc") gte = indexKey(prefix, next.height, next.position);
        else lt = keys[keys.length - 1];
        await ctx.request.breathe();
      }
    });
  } finally {
    if (used <= budget) ctx.request.refund(budget - used);
    else ctx.request.charge(used - budget);
  }
  const resume = last ?? start;
  return { items, cursor: resume === undefined ? null : encodeCursor(resume, digest), done, latestHeight: tip };
}

export async function readItem(
  ctx: RpcContext,
  place: SearchPlace,
  hashesAt: Map<number, Promise<Uint8Array[] | undefined>>,
): Promise<ReadItem | undefined> {
  if (place.position === BLOCK_EVENTS_POSITION) {
    const events = await ctx.db.getBlockEvents(place.height);
    return {
      type: undefined,
      addresses: blockEventTerms(events),
      events,
      view: { kind: "block" as const, height: place.height, events: resultView({ code: 0, log: "", events }).events },
    };
  }
  let hashes = hashesAt.get(place.height);
  if (hashes === undefined) {
    // Charged by the block's size: reading a block of 20,000 txs to find one item is not one unit of work.
    hashes = ctx.db.txHashesOf(place.height).then((h) => {
      if (h !== undefined) ctx.request.charge(h.length);
      return h;
    });
    hashesAt.set(place.height, hashes);
  }
  const hash = (await hashes)?.[place.position];
  if (hash === undefined) return undefined;
  const record = await ctx.db.getTx(hash);
  if (record === undefined) return undefined;
  const tx = decodeTx(record.tx);
  return {
    type: tx.body.msg.type,
    addresses: txIndexTerms(tx, record.result),
    events: record.result.events,
    view: txItemView(hash, record),
  };
}

export const searchMethods = [
  method({
    name: "tx_search",
    description:
      "Committed transactions (and block events) by address, message type and/or event attribute: with their " +
      "results and raw bytes, a page (limit <= 100) at a time in height order (order: asc | desc); event is " +
      "{ type, attribute, value }. Pass the returned cursor for the next page: pages never repeat or skip an item " +
      "while blocks arrive; a cursor is tied to its query (another query's: 2005 INVALID_CURSOR). done: nothing " +
      "more in range as of latestHeight (ascending, later blocks may add more). A page scans at most " +
      `${MAX_SEARCH_SCAN_KEYS} index keys (MAX_SEARCH_SCAN_KEYS): a narrow combination may return a short page and ` +
      "a cursor to go on. fromHeight beyond the tip: 2003; a node with [index] enabled = false: 2011.",
    params: searchParams,
    result: z.strictObject({
      items: z.array(z.discriminatedUnion("kind", [txItemOut, blockEventsItemOut])),
      cursor: z.string().nullable().describe("opaque: pass as cursor for the next page"),
      done: z.boolean(),
      latestHeight: heightOut,
    }),
    handler: (p, ctx) => search(p, ctx),
  }),
  method({
    name: "chain_getBlockResults",
    description:
      "Everything a block did: each tx with its hash, raw bytes (base64), result and events, in block order " +
      `(a page of at most ${MAX_BLOCK_TX_PAGE.toLocaleString("en-US")}: txOffset, txLimit; numTxs is the block's ` +
      "count), and the block's own events (slashes, jails, unbondings, expired inferences, set changes).",
    params: z.strictObject({
      height: heightSchema.min(1, "height must be >= 1"),
      txOffset: txOffsetSchema,
      txLimit: txLimitSchema,
    }),
    result: z.strictObject({
      height: heightOut,
      numTxs: countOut.describe("the block's transaction count, whatever txOffset and txLimit select"),
      txs: z.array(txItemOut).describe("the page txOffset/txLimit select (from 0, at most MAX_BLOCK_TX_PAGE)"),
      events: z.array(eventOut),
    }),
    handler: async (p, ctx) => {
      const latest = ctx.app.info().height;
      if (p.height > latest) {
        throw appError("BLOCK_NOT_FOUND", `block ${p.height} does not exist yet; the latest height is ${latest}`, {
          latest,
        });
      }
      const hashes = await ctx.db.txHashesOf(p.height);
      if (hashes === undefined) throw appError("BLOCK_NOT_FOUND", `block ${p.height} is not stored here`);
      const offset = p.txOffset ?? 0;
      const page = hashes.slice(offset, offset + (p.txLimit ?? MAX_BLOCK_TX_PAGE));
      const txs = await blockTxItems(ctx, p.height, page);
      const events = await ctx.db.getBlockEvents(p.height);
      return { height: p.height, numTxs: hashes.length, txs, events: resultView({ code: 0, log: "", events }).events };
    },
  }),
];

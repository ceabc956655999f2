import type { TxEvent } from "../../proto/records.ts";
import { BLOCK_EVENTS_POSITION, indexKey, indexPlace, indexPrefix } from "../../state/store/tx-index.ts";
import { encodeAddress } from "../../crypto/address.ts";
import { toHex } from "../../crypto/bytes.ts";
import type { RpcContext } from "../context.ts";
import { appError } from "../errors.ts";
import { committedHeaderOnPage } from "../committed-header.ts";
import { MAX_SEARCH_SCAN_KEYS, matches, primaryTerm, type ReadItem, readItem } from "../methods/search.ts";
import type { SearchPlace } from "../search-cursor.ts";
import { isoTime } from "../views.ts";
import { endOfBlock, nextItem, type Place, WHOLE_ITEM } from "./place.ts";
import { type Filter, isFiltered, type Topic } from "./subscribe-params.ts";

/** What a subscription streams: its topic and filter. */
export interface Stream {
  topic: Topic;
  filter: Filter | undefined;
}

/** One item to notify: where it is (its cursor's place) and what the notification's result says. */
export interface StreamItem {
  place: Place;
  result: Record<string, unknown>;
}

export interface Page {
  items: StreamItem[];
  /** Every item up to this place was looked at: the next page starts after it (it may lie past the last item). */
  reached: Place;
}

/** Index keys (or stored txs) read per LevelDB read while filling a page. */
const SCAN_CHUNK = 256;
/** Items read at once (in parallel: LevelDB reads run on its thread pool). */
const READ_GROUP = 20;

/**
 * The next items of `stream` after `after`, up to block `tip` (committed: nothing of a later block is read,
 * even if its batch is already written), at most about `maxItems` of them (an item's events are never split
 * between pages) and at most MAX_SEARCH_SCAN_KEYS keys or txs looked at: a page of a long replay is as much
 * work as one tx_search page. Filtered streams read the search index, unfiltered ones the stored blocks.
 */
export async function readPage(
  ctx: RpcContext,
  stream: Stream,
  after: Place,
  tip: number,
  maxItems: number,
): Promise<Page> {
  if (nextItem(after).height > tip) return { items: [], reached: after };
  if (stream.topic === "blocks") return readBlocks(ctx, after, tip, maxItems);
  return isFiltered(stream.filter)
    ? readIndexed(ctx, stream.topic, stream.filter, after, tip, maxItems)
    : readStored(ctx, stream.topic, after, tip, maxItems);
}

async function readBlocks(ctx: RpcContext, after: Place, tip: number, maxItems: number): Promise<Page> {
  const items: StreamItem[] = [];
  let height = nextItem(after).height;
  ctx.request.charge(Math.min(maxItems, tip - height + 1));
  // A page of blocks is a heavy read like the other topics' pages: it waits for one of the node's scan slots.
  await ctx.request.scan(async () => {
    for (; height <= tip && items.length < maxItems; height++) {
      // A header is read apart from its block (paid for above), but a block committed before headers were
      // stored apart is read whole for it, charged by size (rpc/block-read-charge.ts): the page ends before a
      // block the budget left cannot pay for (at least one block a page: one fits any fresh budget), and the
      // next page goes on from there. Failing instead, a replay of big blocks failed on the same page every
      // time it was resumed.
      const [found, hashes] = await Promise.all([
        committedHeaderOnPage(ctx, height, items.length === 0),
        ctx.db.txHashesOf(height),
      ]);
      if (found === undefined) break;
      const { header, hash } = found;
      items.push({
        place: endOfBlock(height),
        result: {
          kind: "block",
          height,
          hash: toHex(hash),
          time: isoTime(header.timeMs),
          proposer: encodeAddress(header.proposerAddress),
          numTxs: hashes?.length ?? 0,
        },
      });
      await ctx.request.breathe();
    }
  });
  return { items, reached: items.length > 0 ? items[items.length - 1].place : after };
}

/** The notifications one read item gives on `topic`: itself (txs), or each of its events from `fromEvent` on. */
function itemsOf(
  topic: Topic,
  place: SearchPlace,
  item: ReadItem,
  fromEvent: number,
  filter: Filter | undefined,
): StreamItem[] {
  if (topic === "txs") {
    return [{ place: { ...place, event: WHOLE_ITEM }, result: item.view as Record<string, unknown> }];
  }
  const view = item.view as { hash?: string };
  const out: StreamItem[] = [];
  item.events.forEach((e: TxEvent, i) => {
    if (i < fromEvent || !eventMatches(e, filter)) return;
    out.push({
      place: { ...place, event: i },
      result: {
        kind: "event",
        height: place.height,
        // Which tx made it (null: the block's own steps: slashes, jails, unbondings, expiries).
        txHash: place.position === BLOCK_EVENTS_POSITION ? null : (view.hash ?? null),
        txIndex: place.position === BLOCK_EVENTS_POSITION ? null : place.position,
        eventIndex: i,
        type: e.type,
        attributes: Object.fromEntries(e.attributes.map((a) => [a.key, a.value])),
      },
    });
  });
  return out;
}

/** With an event filter, only the events it names; otherwise every event of a matching item. */
function eventMatches(e: TxEvent, filter: Filter | undefined): boolean {
  const want = filter?.event;
  if (want === undefined) return true;
  return e.type === want.type && e.attributes.some((a) => a.key === want.attribute && a.value === want.value);
}

async function readIndexed(
  ctx: RpcContext,
  topic: Topic,
  filter: Filter,
  after: Place,
  tip: number,
  maxItems: number,
): Promise<Page> {
  const prefix = indexPrefix(primaryTerm(filter));
  const start = nextItem(after);
  let gte = indexKey(prefix, start.height, start.position);
  const lt = indexKey(prefix, tip + 1, 0);
  const items: StreamItem[] = [];
  let reached = after;
  const hashesAt = new Map<number, Promise<Uint8Array[] | undefined>>();
  const budget = ctx.request.reserve(MAX_SEARCH_SCAN_KEYS);
  let used = 0;
  try {
    await ctx.request.scan(async () => {
      while (items.length < maxItems) {
        // With one filter every key is an item: read no more keys than the page still needs.
        const onlyOne = [filter.address, filter.type, filter.event].filter((f) => f !== undefined).length === 1;
        const asked = Math.min(budget - used, onlyOne ? maxItems - items.length : SCAN_CHUNK);
        if (asked <= 0) return;
        const keys = await ctx.db.keysIn(gte, lt, false, asked);
        used += keys.length;
        for (let g = 0; g < keys.length && items.length < maxItems;) {
          // No more items read than the page still needs (each may be a full tx: 16 KB and more as JSON).
          const group = keys.slice(g, g + Math.min(READ_GROUP, maxItems - items.length));
          g += group.length;
          const places = group.map((k) => indexPlace(k, prefix.byteLength));
          // A block's tx hashes are read (and charged) once per page, not once per group: a page of a block of
          // 20,000 txs would otherwise charge 20,000 keys per group and run out of its work budget. Only the
          // blocks of the current group are kept (items come in height order).
          for (const h of hashesAt.keys()) if (h < places[0].height) hashesAt.delete(h);
          const read = await Promise.all(places.map((place) => readItem(ctx, place, hashesAt)));
          used += read.length;
          for (let i = 0; i < read.length; i++) {
            const place = places[i];
            const item = read[i];
            const wanted = topic !== "txs" || place.position !== BLOCK_EVENTS_POSITION;
            if (item !== undefined && wanted && matches(item, filter)) {
              const first = place.height === start.height && place.position === start.position ? start.fromEvent : 0;
              items.push(...itemsOf(topic, place, item, first, filter));
            }
            reached = { ...place, event: WHOLE_ITEM };
            if (items.length >= maxItems) break;
          }
        }
        if (keys.length < asked) {
          if (items.length < maxItems) reached = endOfBlock(tip); // nothing more up to the tip
          return;
        }
        gte = indexKey(prefix, nextItem(reached).height, nextItem(reached).position);
        await ctx.request.breathe();
      }
    });
  } finally {
    if (used <= budget) ctx.request.refund(budget - used);
    else ctx.request.charge(used - budget);
  }
  return { items, reached };
}

async function readStored(ctx: RpcContext, topic: Topic, after: Place, tip: number, maxItems: number): Promise<Page> {
  const items: StreamItem[] = [];
  let reached = after;
  let { height, position, fromEvent } = nextItem(after);
  const budget = ctx.request.reserve(MAX_SEARCH_SCAN_KEYS);
  let used = 0;
  try {
    await ctx.request.scan(async () => {
      while (height <= tip && items.length < maxItems && used < budget) {
        const hashes = await ctx.db.txHashesOf(height);
        if (hashes === undefined) throw appError("HEIGHT_NOT_AVAILABLE", `block ${height} is not stored here`);
        used += 1;
        // The block's places still to read, a chunk at a time: its txs from `position`, then (events only) its own
        // events (a place past its txs: BLOCK_EVENTS_POSITION, where a cursor inside them resumes).
        const places: SearchPlace[] = [];
        for (let i = position; i < hashes.length && places.length < SCAN_CHUNK; i++) {
          places.push({ height, position: i });
        }
        const lastChunk = position + places.length >= hashes.length;
        if (lastChunk && topic === "events") places.push({ height, position: BLOCK_EVENTS_POSITION });
        const hashesAt = new Map([[height, Promise.resolve<Uint8Array[] | undefined>(hashes)]]);
        let done = 0;
        while (done < places.length && items.length < maxItems) {
          const group = places.slice(done, done + Math.min(READ_GROUP, maxItems - items.length));
          const read = await Promise.all(group.map((place) => readItem(ctx, place, hashesAt)));
          used += read.length;
          for (let i = 0; i < group.length; i++) {
            const item = read[i];
            if (item === undefined) throw new Error(`item ${group[i].position} of block ${height} is missing from the store`);
            items.push(...itemsOf(topic, group[i], item, group[i].position === position ? fromEvent : 0, undefined));
            reached = { ...group[i], event: WHOLE_ITEM };
          }
          done += group.length;
        }
        if (done < places.length || !lastChunk) {
          position = reached.position + 1; // the rest of this block, on the next round or page
          fromEvent = 0;
          continue;
        }
        reached = endOfBlock(height);
        height++;
        position = 0;
        fromEvent = 0;
        await ctx.request.breathe();
      }
    });
  } finally {
    if (used <= budget) ctx.request.refund(budget - used);
    else ctx.request.charge(used - budget);
  }
  return { items, reached };
}

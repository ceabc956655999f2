import { BLOCK_EVENTS_POSITION } from "../../state/store/tx-index.ts";

/**
 * Where a subscription's item sits in the chain: the block's height, the item's position in it (a tx's index,
 * or BLOCK_EVENTS_POSITION for the block's own events, which come after its txs) and, for the "events" topic,
 * the event's index within that tx or block. Items are delivered in this order; a cursor is the place of the
 * last item a client received, and delivery resumes strictly after it.
 */
export interface Place {
  height: number;
  position: number;
  event: number;
}

/** The event index of a place that stands for a whole item (a tx, a block): every event of it is behind. */
export const WHOLE_ITEM = 0xffff_ffff;

/** The place right after every item of block `height`: where a subscription from height + 1 starts. */
export function endOfBlock(height: number): Place {
  return { height, position: BLOCK_EVENTS_POSITION, event: WHOLE_ITEM };
}

export function comparePlaces(a: Place, b: Place): number {
  return a.height - b.height || a.position - b.position || a.event - b.event;
}

/** The first (height, position) whose events are not all behind `p`, and the first event of it not behind. */
export function nextItem(p: Place): { height: number; position: number; fromEvent: number } {
  if (p.event !== WHOLE_ITEM) return { height: p.height, position: p.position, fromEvent: p.event + 1 };
  if (p.position === BLOCK_EVENTS_POSITION) return { height: p.height + 1, position: 0, fromEvent: 0 };
  return { height: p.height, position: p.position + 1, fromEvent: 0 };
}

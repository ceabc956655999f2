import { z } from "zod";
import { addressSchema, heightSchema } from "../schemas.ts";

/** What a subscription streams: block summaries, committed transactions, or single events. */
export const TOPICS = ["blocks", "txs", "events"] as const;
export type Topic = (typeof TOPICS)[number];

const nonEmpty = (what: string) => z.string({ error: `${what} must be a string` }).min(1, `${what} is empty`).max(256);

/** A subscription's filter: the filter keys of tx_search (rpc/methods/search.ts), nothing else. */
export const filterSchema = z.strictObject({
  address: addressSchema.optional(),
  type: nonEmpty("type").optional(),
  event: z
    .strictObject({ type: nonEmpty("event.type"), attribute: nonEmpty("event.attribute"), value: nonEmpty("event.value") })
    .optional(),
});

export type Filter = z.infer<typeof filterSchema>;

export const subscribeParams = z
  .strictObject({
    topic: z.enum(TOPICS, { error: `topic must be one of ${TOPICS.join(", ")}` }),
    filter: filterSchema.optional(),
    /** Replay from the first item of this height, then go on live. */
    fromHeight: heightSchema.min(1, "fromHeight must be >= 1").optional(),
    /** Replay from right after the item this cursor names (a notification's cursor), then go on live. */
    cursor: z.string({ error: "cursor must be a string" }).max(64).optional(),
  })
  .refine((p) => p.fromHeight === undefined || p.cursor === undefined, {
    message: "give fromHeight or cursor, not both (a cursor already says where to go on from)",
  })
  .refine((p) => p.topic !== "blocks" || p.filter === undefined, {
    message: "the blocks topic takes no filter (every block is one item)",
  });

export type SubscribeParams = z.infer<typeof subscribeParams>;

export const unsubscribeParams = z.strictObject({
  subscription: z.string({ error: "subscription must be a string (the id subscribe returned)" }).max(32),
});

/** A filter with at least one key: one that needs the search index. */
export function isFiltered(f: Filter | undefined): f is Filter {
  return f !== undefined && (f.address !== undefined || f.type !== undefined || f.event !== undefined);
}

import { appError, INVALID_PARAMS, RpcError } from "../errors.ts";
import { primaryTerm } from "../methods/search.ts";
import type { WsLimits } from "./limits.ts";
import { endOfBlock, type Place } from "./place.ts";
import { isFiltered, subscribeParams } from "./subscribe-params.ts";
import { Subscription, type SubscriptionHost } from "./subscription.ts";
import { decodeSubscriptionCursor, streamDigest } from "./subscription-cursor.ts";

/**
 * Checks subscribe's params and makes the subscription (not started): where it starts is right after the
 * cursor's item, at the first item of fromHeight, or (neither given) with the next block committed.
 */
export function openSubscription(
  raw: unknown,
  opts: { id: string; tip: number; indexing: boolean; limits: WsLimits; host: SubscriptionHost },
): Subscription {
  const parsed = subscribeParams.safeParse(raw ?? {});
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message))
      .join("; ");
    throw new RpcError(INVALID_PARAMS, `Invalid params: ${detail}`);
  }
  const p = parsed.data;
  const filter = isFiltered(p.filter) ? p.filter : undefined;
  if (filter !== undefined) {
    if (!opts.indexing) {
      throw appError(
        "INDEX_DISABLED",
        "a filtered subscription reads the search index, and this node keeps none ([index] enabled = false in " +
        "its config.toml): subscribe without a filter, or to a node that indexes",
      );
    }
    primaryTerm(filter); // throws for a filter that names only an unindexed quantity
  }
  const digest = streamDigest(p.topic, filter);
  const { tip } = opts;
  let start: Place;
  if (p.cursor !== undefined) {
    start = decodeSubscriptionCursor(p.cursor, digest);
    if (start.height > tip) {
      throw appError("INVALID_CURSOR", `cursor names height ${start.height}, beyond the latest height ${tip}`, { latest: tip });
    }
  } else if (p.fromHeight !== undefined) {
    if (p.fromHeight > tip + 1) {
      throw appError(
        "HEIGHT_NOT_AVAILABLE",
        `fromHeight ${p.fromHeight} is beyond the next block (the latest height is ${tip}): subscribe from at most ${tip + 1}`,
        { latest: tip },
      );
    }
    start = endOfBlock(p.fromHeight - 1);
  } else {
    start = endOfBlock(tip);
  }
  return new Subscription({
    id: opts.id,
    stream: { topic: p.topic, filter },
    digest,
    start,
    host: opts.host,
    limits: opts.limits,
  });
}

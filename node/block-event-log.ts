/**
 * How a committed block's own events (begin and end block: rewards, slashing, jailing, upgrades) reach the
 * node's log: the ones an operator must act on at warn, the routine rest at info.
 */
import type { Logger } from "pino";
import type { TxEvent } from "../proto/records.ts";

/** Block events an operator must see (the rest is routine and logged at info). */
const WARN_EVENTS = new Set(["slash", "jail", "validator_set_empty", "upgrade_skipped"]);

export function logBlockEvents(log: Logger, height: number, events: readonly TxEvent[]): void {
  for (const e of events) {
    const attrs = Object.fromEntries(e.attributes.map((a) => [a.key, a.value]));
    // Slashing and jailing are what an operator must see; the rest is routine.
    if (WARN_EVENTS.has(e.type)) log.warn({ height, ...attrs }, e.type);
    else log.info({ height, ...attrs }, e.type);
  }
}

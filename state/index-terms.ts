import { ADDRESS_LENGTH, ADDRESS_PREFIX, decodeAddress, encodeAddress } from "../crypto/address.ts";
import type { TxEvent, TxResult } from "../proto/records.ts";
import type { DecodedTx, TxMsg } from "../proto/tx.ts";
import {
  BLOCK_EVENTS_POSITION,
  eventTerm,
  type IndexTerm,
  indexKeys,
  MAX_INDEX_ENTRIES_PER_BLOCK_EVENTS,
  MAX_INDEX_ENTRIES_PER_TX,
  UNINDEXED_ADDRESS_EVENTS,
  UNINDEXED_ATTRIBUTES,
} from "./store/tx-index.ts";

/**
 * The event attributes whose values are addresses the module wrote (state/execute.ts, state/modules/*): only
 * these are indexed as addresses. A free-text attribute that happens to read like an address (a datanet's
 * name) must not plant a tx in that address's history (address poisoning): it is an event term like any text.
 */
export const ADDRESS_ATTRIBUTES: ReadonlySet<string> = new Set([
  "address",
  "contributor",
  "delegator",
  "operator",
  "owner",
  "payer",
  "recipient",
  "reviewer",
  "sender",
  "slasher",
  "validator",
]);

/** A valid bech32 `opl1...` address (checksum included). */
export function isAddressText(value: string): boolean {
  if (!value.startsWith(`${ADDRESS_PREFIX}1`)) return false;
  try {
    decodeAddress(value);
    return true;
  } catch {
    return false;
  }
}

/** Whether an event attribute holds an address the module wrote (found through the address index). */
export function isAddressAttribute(attribute: string, value: string): boolean {
  return ADDRESS_ATTRIBUTES.has(attribute) && isAddressText(value);
}

/** Addresses a message names directly (a transfer's recipient, a model's operators): its 20-byte fields. */
function msgAddresses(msg: TxMsg, out: IndexTerm[]): void {
  for (const v of Object.values(msg)) {
    if (v instanceof Uint8Array && v.byteLength === ADDRESS_LENGTH) out.push({ kind: "address", value: encodeAddress(v) });
    else if (Array.isArray(v)) {
      for (const x of v) {
        if (x instanceof Uint8Array && x.byteLength === ADDRESS_LENGTH) out.push({ kind: "address", value: encodeAddress(x) });
      }
    }
  }
}

/** Whether an event attribute is indexed as an event term (else found by address, or not at all). */
export function isIndexedAttribute(attribute: string, value: string): boolean {
  return !UNINDEXED_ATTRIBUTES.has(attribute) && !isAddressAttribute(attribute, value);
}

function eventTerms(events: readonly TxEvent[], out: IndexTerm[]): void {
  // Addresses first: under the per-item bound, who was involved matters more than what was named.
  for (const e of events) {
    if (UNINDEXED_ADDRESS_EVENTS.has(e.type)) continue;
    for (const a of e.attributes) if (isAddressAttribute(a.key, a.value)) out.push({ kind: "address", value: a.value });
  }
  for (const e of events) {
    for (const a of e.attributes) {
      if (isIndexedAttribute(a.key, a.value)) out.push({ kind: "event", value: eventTerm(e.type, a.key, a.value) });
    }
  }
}

/**
 * What a committed tx is found by, most important first (indexKeys keeps the first MAX_INDEX_ENTRIES_PER_TX):
 * its message type, its sender, the addresses its message names, the addresses in its events (payer,
 * recipient, owner, contributor, operator, validator...; not the fee's), then the event attributes that name
 * things (the ids of datanets, contributions, models, inferences; not amounts, not addresses again).
 * Deterministic: the same tx and result give the same terms.
 */
export function txIndexTerms(tx: DecodedTx, result: TxResult): IndexTerm[] {
  const out: IndexTerm[] = [
    { kind: "type", value: tx.body.msg.type },
    { kind: "address", value: encodeAddress(tx.sender) },
  ];
  msgAddresses(tx.body.msg, out);
  eventTerms(result.events, out);
  return out;
}

/** What a block's own events are found by: the addresses they name, then every attribute. */
export function blockEventTerms(events: readonly TxEvent[]): IndexTerm[] {
  const out: IndexTerm[] = [];
  eventTerms(events, out);
  return out;
}

/** Every search index key of a committed block: each tx at its place, then the block's own events. */
export function blockIndexKeys(
  height: number,
  txs: readonly DecodedTx[],
  results: readonly TxResult[],
  blockEvents: readonly TxEvent[],
): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (let i = 0; i < txs.length; i++) {
    keys.push(...indexKeys(txIndexTerms(txs[i], results[i]), height, i, MAX_INDEX_ENTRIES_PER_TX));
  }
  if (blockEvents.length > 0) {
    const terms = blockEventTerms(blockEvents);
    keys.push(...indexKeys(terms, height, BLOCK_EVENTS_POSITION, MAX_INDEX_ENTRIES_PER_BLOCK_EVENTS));
  }
  return keys;
}

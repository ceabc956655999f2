import { concatBytes, equalBytes, readU64be, u64be } from "../../crypto/bytes.ts";
import { appError } from "../errors.ts";
import { queryDigest } from "../search-cursor.ts";
import type { Place } from "./place.ts";

/**
 * A subscription's opaque cursor: the place of an item it delivered (height, position in the block, event
 * index) and a digest of the subscription's topic and filter, base64url. Another subscription's cursor is
 * refused (its places would mean other items), as is one of tx_search (a version byte apart).
 */
const CURSOR_VERSION = 2;
const DIGEST_BYTES = 8;
const CURSOR_BYTES = 1 + 8 + 4 + 4 + DIGEST_BYTES;

/** What identifies a subscription's item stream: its topic and filter (not where it starts). */
export function streamDigest(topic: string, filter: unknown): Uint8Array {
  return queryDigest({ subscription: topic, filter: filter ?? null });
}

export function encodeSubscriptionCursor(place: Place, digest: Uint8Array): string {
  const tail = new Uint8Array(8);
  const view = new DataView(tail.buffer);
  view.setUint32(0, place.position);
  view.setUint32(4, place.event);
  return Buffer.from(concatBytes(Uint8Array.of(CURSOR_VERSION), u64be(place.height), tail, digest)).toString(
    "base64url",
  );
}

export function decodeSubscriptionCursor(cursor: string, digest: Uint8Array): Place {
  const bytes = /^[A-Za-z0-9_-]+$/.test(cursor) ? new Uint8Array(Buffer.from(cursor, "base64url")) : undefined;
  if (bytes?.byteLength !== CURSOR_BYTES || bytes[0] !== CURSOR_VERSION) {
    throw appError("INVALID_CURSOR", "cursor is not one of this node's subscription notifications");
  }
  if (!equalBytes(bytes.subarray(1 + 8 + 8), digest)) {
    throw appError(
      "INVALID_CURSOR",
      "cursor belongs to another subscription: resume with the same topic and filter it was given for",
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + 9, 8);
  return { height: readU64be(bytes.subarray(1, 9)), position: view.getUint32(0), event: view.getUint32(4) };
}

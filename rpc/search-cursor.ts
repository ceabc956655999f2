import { concatBytes, equalBytes, readU64be, u64be } from "../crypto/bytes.ts";
import { sha256 } from "../crypto/hash.ts";
import { appError } from "./errors.ts";

/**
 * tx_search's opaque cursor: the place of the last item a page looked at (height, position in the block) and
 * a digest of the query it belongs to, base64url. The next page starts strictly after that place, so pages
 * never repeat or skip an item: committed blocks never change, and new ones only add items after the tip.
 */
const CURSOR_VERSION = 1;
const DIGEST_BYTES = 8;
const CURSOR_BYTES = 1 + 8 + 4 + DIGEST_BYTES;

export interface SearchPlace {
  height: number;
  position: number;
}

/** What identifies a query for its cursors: everything but the page size and the cursor. */
export function queryDigest(query: unknown): Uint8Array {
  return sha256(new TextEncoder().encode(JSON.stringify(query))).subarray(0, DIGEST_BYTES);
}

export function encodeCursor(place: SearchPlace, digest: Uint8Array): string {
  const pos = new Uint8Array(4);
  new DataView(pos.buffer).setUint32(0, place.position);
  return Buffer.from(concatBytes(Uint8Array.of(CURSOR_VERSION), u64be(place.height), pos, digest)).toString(
    "base64url",
  );
}

export function decodeCursor(cursor: string, digest: Uint8Array): SearchPlace {
  const bytes = /^[A-Za-z0-9_-]+$/.test(cursor) ? new Uint8Array(Buffer.from(cursor, "base64url")) : undefined;
  if (bytes?.byteLength !== CURSOR_BYTES || bytes[0] !== CURSOR_VERSION) {
    throw appError("INVALID_CURSOR", "cursor is not one this node's tx_search returned");
  }
  if (!equalBytes(bytes.subarray(13), digest)) {
    throw appError(
      "INVALID_CURSOR",
      "cursor belongs to another query: send it with the same address, type, event, fromHeight, toHeight and order",
    );
  }
  const position = new DataView(bytes.buffer, bytes.byteOffset + 9, 4).getUint32(0);
  return { height: readU64be(bytes.subarray(1, 9)), position };
}

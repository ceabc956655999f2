import { equalBytes, toHex } from "../crypto/bytes.ts";
import { blockHash, type Commit, type Header, scanBlock } from "../proto/block.ts";
import { chargeBlockRead } from "./block-read-charge.ts";
import type { RpcContext } from "./context.ts";
import { appError } from "./errors.ts";

/**
 * A committed block's header, hash and commit, without decoding its body: what a proof or a light client
 * needs of a block. The stored bytes are checked against the digest stored with them (chain-db
 * getBlockBytes), and the header against the committed hash.
 */
export interface CommittedHeader {
  header: Header;
  hash: Uint8Array;
  commit: Commit;
}

/**
 * Heights whose header is kept per node, least recently used out. A header never changes once committed, and
 * proofs ask for the latest few again and again: without the cache every proof would read (and hash) its
 * whole block, megabytes for a full one, to answer 400 bytes of header.
 */
export const HEADER_CACHE_HEIGHTS = 16;

/** One cache per node (its database), so nodes sharing a process never share headers. */
const caches = new WeakMap<object, Map<number, CommittedHeader>>();

/** `firstOfPage`: read even if the request's budget is spent (chargeBlockRead's `always`). */
export async function committedHeader(ctx: RpcContext, height: number, firstOfPage = false): Promise<CommittedHeader> {
  const latest = ctx.app.info().height;
  if (height < 1 || height > latest) {
    throw appError("BLOCK_NOT_FOUND", `block ${height} does not exist; the latest height is ${latest}`, { latest });
  }
  let cache = caches.get(ctx.db);
  if (cache === undefined) caches.set(ctx.db, (cache = new Map()));
  const kept = cache.get(height);
  if (kept !== undefined) {
    cache.delete(height); // kept as the most recently used (Map order: least recently used first)
    cache.set(height, kept);
    return kept;
  }
  await chargeBlockRead(ctx, height, firstOfPage); // the whole block is read and hashed for its header
  const [bytes, meta] = await Promise.all([ctx.db.getBlockBytes(height), ctx.db.getBlockMeta(height)]);
  if (bytes === undefined || meta === undefined) throw appError("BLOCK_NOT_FOUND", `block ${height} is not stored here`);
  const { header } = scanBlock(bytes);
  const hash = blockHash(header);
  // The stored block and its metadata disagree: damage, not an answer (chain-db's readBlock says the same).
  if (header.height !== height || !equalBytes(hash, meta.hash)) {
    throw new Error(`block ${height}: its header hashes to ${toHex(hash)}, not the committed ${toHex(meta.hash)}`);
  }
  const found = { header, hash, commit: meta.commit };
  cache.set(height, found);
  if (cache.size > HEADER_CACHE_HEIGHTS) cache.delete(cache.keys().next().value as number);
  return found;
}

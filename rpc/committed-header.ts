import { equalBytes, toHex } from "../crypto/bytes.ts";
import { blockHash, type Commit, type Header, scanBlock } from "../proto/block.ts";
import { blockReadFits, chargeBlockRead } from "./block-read-charge.ts";
import type { RpcContext } from "./context.ts";
import { appError } from "./errors.ts";

/**
 * A committed block's header, hash and commit, without decoding its body: what a proof or a light client
 * needs of a block. A header stored apart from its block is checked against the committed hash; for a block
 * committed before headers were, the block's bytes are read and checked against the digest stored with them
 * (chain-db getBlockBytes), and its header against the committed hash.
 */
export interface CommittedHeader {
  header: Header;
  hash: Uint8Array;
  commit: Commit;
}

/**
 * Heights whose header is kept per node, least recently used out. A header never changes once committed, and
 * proofs ask for the latest few again and again: without the cache every proof would read and hash its header
 * (or, for a block from before headers were stored apart, its whole block: megabytes for a full one).
 */
export const HEADER_CACHE_HEIGHTS = 16;

/** One cache per node (its database), so nodes sharing a process never share headers. */
const caches = new WeakMap<object, Map<number, CommittedHeader>>();

/**
 * How a header read is paid for. `paid`: the caller paid a key for it already (a page of blocks pays one per
 * block up front). `always`: read even past the request's budget, within what is left (a page's first item
 * must make progress). A header stored apart costs one key (unless paid); an older block's header costs its
 * block's read, by size.
 */
interface HeaderCharge {
  paid: boolean;
  always: boolean;
}

/** A committed block's header, charged to the request: WORK_LIMIT_EXCEEDED past its budget. */
export async function committedHeader(ctx: RpcContext, height: number): Promise<CommittedHeader> {
  return (await readCommittedHeader(ctx, height, { paid: false, always: false })) as CommittedHeader;
}

/**
 * For a page of block notifications, which paid a key per block up front: the header; or, when its block must
 * be read whole for it (a block committed before headers were stored apart) and that no longer fits the
 * request's budget, undefined, and the page ends before it. The page's `first` block is read all the same.
 */
export function committedHeaderOnPage(
  ctx: RpcContext,
  height: number,
  first: boolean,
): Promise<CommittedHeader | undefined> {
  return readCommittedHeader(ctx, height, { paid: true, always: first });
}

async function readCommittedHeader(
  ctx: RpcContext,
  height: number,
  charge: HeaderCharge,
): Promise<CommittedHeader | undefined> {
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
  // Stored apart from the block: one small read, proved by the committed hash (BlockStore.getStoredHeader),
  // charged once found (a block from before has its whole read charged instead); none with the budget spent.
  if (!charge.paid && !charge.always && ctx.request.workLeft < 1) ctx.request.charge(1);
  let found: CommittedHeader | undefined = await ctx.db.getStoredHeader(height);
  if (found !== undefined) {
    if (!charge.paid) ctx.request.charge(charge.always ? Math.min(1, ctx.request.workLeft) : 1);
  } else {
    found = await headerOfBlock(ctx, height, charge);
    if (found === undefined) return undefined;
  }
  cache.set(height, found);
  if (cache.size > HEADER_CACHE_HEIGHTS) cache.delete(cache.keys().next().value as number);
  return found;
}

/** A header read from its whole block (blocks committed before headers were stored apart), paid for by size. */
async function headerOfBlock(
  ctx: RpcContext,
  height: number,
  charge: HeaderCharge,
): Promise<CommittedHeader | undefined> {
  if (charge.paid && !charge.always && !(await blockReadFits(ctx, height))) return undefined;
  await chargeBlockRead(ctx, height, charge.always);
  const [bytes, meta] = await Promise.all([ctx.db.getBlockBytes(height), ctx.db.getBlockMeta(height)]);
  if (bytes === undefined || meta === undefined) throw appError("BLOCK_NOT_FOUND", `block ${height} is not stored here`);
  const { header } = scanBlock(bytes);
  const hash = blockHash(header);
  // The stored block and its metadata disagree: damage, not an answer (chain-db's readBlock says the same).
  if (header.height !== height || !equalBytes(hash, meta.hash)) {
    throw new Error(`block ${height}: its header hashes to ${toHex(hash)}, not the committed ${toHex(meta.hash)}`);
  }
  return { header, hash, commit: meta.commit };
}

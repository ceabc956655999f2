import type { RpcContext } from "./context.ts";

/**
 * Bytes of a stored block that count as one key of a request's work budget (rpc.max_request_work). A block
 * read from the store is checked and decoded (or hashed) in one turn of the event loop, ~8 us per KiB: about
 * what a key of state costs to read. Uncharged, a batch of 1,000 chain_getBlock calls on 7 MB blocks ran 56 s,
 * stalled the loop 1.5 s at a time and held 700 MB; charged, one request reads at most ~100 MB of blocks.
 */
export const BLOCK_BYTES_PER_WORK = 1024;

/**
 * Charges the request for reading block `height` in full, before it is read (its size is stored apart from
 * its bytes); a block of unrecorded size counts as one key. Throws WORK_LIMIT_EXCEEDED past the budget, unless
 * `always` (a page's first block: a page must make progress): then it takes at most what is left.
 */
export async function chargeBlockRead(ctx: RpcContext, height: number, always = false): Promise<void> {
  const work = await blockReadWork(ctx, height);
  ctx.request.charge(always ? Math.min(work, ctx.request.workLeft) : work);
}

/** Whether reading block `height` in full still fits the request's budget (a page can end before it). */
export async function blockReadFits(ctx: RpcContext, height: number): Promise<boolean> {
  return (await blockReadWork(ctx, height)) <= ctx.request.workLeft;
}

/** The block's read in keys of work, at most a whole budget: one block is always readable by a fresh request. */
async function blockReadWork(ctx: RpcContext, height: number): Promise<number> {
  const size = await ctx.db.blockSize(height);
  const work = size === undefined ? 1 : Math.max(1, Math.ceil(size / BLOCK_BYTES_PER_WORK));
  return Math.min(work, ctx.request.workDone + ctx.request.workLeft);
}

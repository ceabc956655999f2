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
 * its bytes); a block of unrecorded size counts as one key. Throws WORK_LIMIT_EXCEEDED past the budget.
 */
export async function chargeBlockRead(ctx: RpcContext, height: number): Promise<void> {
  const size = await ctx.db.blockSize(height);
  ctx.request.charge(size === undefined ? 1 : Math.max(1, Math.ceil(size / BLOCK_BYTES_PER_WORK)));
}

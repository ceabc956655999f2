import { BLOCK_PARAM_CAPS } from "../proto/block-caps.ts";

/**
 * The most txs a proposed block at `height` may carry before it is decoded, the chain having committed
 * `lastHeight` with `inForce` as its maxBlockTxs. Governance changes params from the block after the one that
 * executes a change, so `inForce` is the next height's limit; a proposal beyond it (a peer a block ahead) may
 * be under a limit raised by the block between, which is not known here yet: it is bounded by the structural
 * cap only, and execution enforces the real limit when its height comes.
 */
export function proposalTxLimit(height: number, lastHeight: number, inForce: number): number {
  return height > lastHeight + 1 ? BLOCK_PARAM_CAPS.maxBlockTxs : inForce;
}

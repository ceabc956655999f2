/**
 * What a pending tx takes of a full pool: its share of whichever of the pool's caps it fills fastest (its
 * bytes of maxBytes, one slot of maxTxs, its work of maxWork). Eviction compares fee per weight, so a tx pays
 * for the resource that binds: when the count cap binds, a 170-byte transfer takes as much as a 4 KB tx (one
 * slot each) and must outbid it in fee, not per byte.
 */

/** The caps a weight is a share of. */
export interface PoolCapsForWeight {
  maxTxs: number;
  maxBytes: number;
  maxWork: number;
}

/**
 * max(bytes/maxBytes, 1/maxTxs, work/maxWork), exact: each share is scaled by maxTxs * maxBytes * maxWork
 * (the same for every tx of the pool), so weights compare as integers, with no division and no float.
 */
export function poolWeight(caps: PoolCapsForWeight, bytes: number, work: number): bigint {
  const txs = BigInt(caps.maxTxs);
  const maxBytes = BigInt(caps.maxBytes);
  const maxWork = BigInt(Math.max(1, caps.maxWork));
  const byBytes = BigInt(bytes) * txs * maxWork;
  const byCount = maxBytes * maxWork;
  const byWork = BigInt(work) * txs * maxBytes;
  let most = byBytes > byCount ? byBytes : byCount;
  if (byWork > most) most = byWork;
  return most;
}

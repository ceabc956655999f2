/**
 * Where a block's records are put: LevelDB's chained batch, which copies each key and value into its native
 * batch as it is put (so what a caller made for a put is garbage at once), or a list (genesis, tests). A block
 * that creates accounts puts ~25 records per tx; built first as a list of op objects and views, they were
 * held together until the last was put, long enough on a loaded node to be promoted.
 */
export interface BatchSink {
  put(key: Uint8Array, value: Uint8Array): void;
  del(key: Uint8Array): void;
}

/** A put or a delete, as a list of them holds it (LevelDB's array batch takes these). */
export type BatchOp = { type: "put"; key: Uint8Array; value: Uint8Array } | { type: "del"; key: Uint8Array };

/** A sink that appends to `ops` (for the array form of a batch). */
export function listSink(ops: BatchOp[]): BatchSink {
  return {
    put: (key, value) => void ops.push({ type: "put", key, value }),
    del: (key) => void ops.push({ type: "del", key }),
  };
}

import { offHeapKey, offHeapValue } from "./off-heap-scratch.ts";

/**
 * Where a block's records are put: LevelDB's chained batch, which copies each key and value into its native
 * batch as it is put (so what a caller made for a put is garbage at once), or a list (a genesis's array batch). A block
 * that creates accounts puts ~25 records per tx; built first as a list of op objects and views, they were
 * held together until the last was put, long enough on a loaded node to be promoted.
 */
export interface BatchSink {
  put(key: Uint8Array, value: Uint8Array): void;
  del(key: Uint8Array): void;
  /**
   * True when the sink is done with a key and value once `put` returns (a chained batch that keeps no op:
   * copyingSmallArrays), so a caller may put views of a scratch it writes again for the next put.
   */
  readonly copiesOnPut?: boolean;
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

/**
 * `batch` (LevelDB's chained batch, which copies each key and value before put returns: classic-level's
 * batch_put), given small keys and values as copies off V8's heap (state/store/off-heap-scratch.ts): a put of
 * a 33-byte key and a 40-byte value made with `new Uint8Array` took 1.75-1.96 us, of views into one off-heap
 * array 0.43-0.45 us (200,000 puts into a classic-level chained batch, three rounds), and a block writes
 * several small records per tx. Only for a batch of a database with no prewrite hooks and no 'write'
 * listeners (abstract-level would keep the op, and the scratch changes under it): ChainDb checks.
 */
export function copyingSmallArrays(batch: BatchSink): BatchSink {
  return {
    put: (key, value) => batch.put(offHeapKey(key), offHeapValue(value)),
    del: (key) => batch.del(offHeapKey(key)),
    copiesOnPut: true,
  };
}

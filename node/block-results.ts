import { merkleRootOfPacked } from "../crypto/merkle.ts";
import { sha256Into } from "../crypto/sha256-small.ts";
import { CanonicalWriter } from "../proto/canonical-writer.ts";
import { encodeTxResultInto, type TxEvent, type TxResult } from "../proto/records.ts";
import type { DecodedTx } from "../proto/tx.ts";
import { type BlockIndexTerms, BlockIndexWalk } from "../state/index-terms.ts";

/** A block's tx results as kept from its execution to its commit: bytes and leaves, in block order. */
export interface TxResults {
  readonly count: number;
  /** The canonical TxResult bytes of tx `i` (a view: made when asked). */
  bytesAt(i: number): Uint8Array;
  /** merkleLeaf of them: the results root's leaf `i` (a view: made when asked). */
  leafAt(i: number): Uint8Array;
  /** The results root over every leaf (merkleRootOfHashes of the leaves). */
  root(): Uint8Array;
}

/** Bytes first reserved per expected tx: a transfer's result is ~300 bytes; a larger block grows the array. */
const EXPECTED_RESULT_BYTES = 384;

/**
 * A block's tx results as a node keeps them from execution to commit: each tx's canonical result bytes (the
 * results root's leaves hash them, the block store keeps them) and, when the node keeps a search index, the
 * index terms walked from its events. Each decoded result is taken as execution makes it and dropped: held
 * with the block until its commit, a loaded node's decoded results outlived two scavenges and were promoted
 * to the old generation, about 0.7 KB per transfer (the bench's promoted-allocation profile).
 *
 * The bytes are packed one after another into one array, each after a 0x00 byte, so that its leaf,
 * sha256(0x00 || result), is hashed where it lies, into one array of leaves: a new array per result and a
 * node:crypto Buffer (and a view of it) per leaf, all held until the commit, were three objects and two
 * off-heap allocations per tx. (A leaf input past SMALL_INPUT_MAX, a transfer's ~281 bytes, is still hashed
 * by node:crypto, faster there: its Buffer is garbage at once, its digest copied into the leaves.)
 */
export class BlockResults implements TxResults {
  private readonly walk: BlockIndexWalk | undefined;
  private n = 0;
  /** [0x00, result 0, 0x00, result 1, ...]; result i ends at ends[i] and starts one past ends[i - 1]. */
  private bytes: Uint8Array;
  private ends: Int32Array;
  private leaves: Uint8Array;
  /** Where the result being encoded goes (encodeTxResultInto asks once its size is known). */
  private readonly room = (size: number): CanonicalWriter => {
    const start = this.n === 0 ? 0 : this.ends[this.n - 1];
    if (start + 1 + size > this.bytes.byteLength) this.bytes = grown(this.bytes, start + 1 + size);
    this.bytes[start] = 0x00; // merkleLeaf's prefix
    return new CanonicalWriter(this.bytes, start + 1);
  };

  /** `expectedTxs`: how many results to make room for at first (more grow the arrays). */
  constructor(height: number, indexing: boolean, expectedTxs = 0) {
    this.walk = indexing ? new BlockIndexWalk(height) : undefined;
    const expected = Math.max(1, expectedTxs);
    this.bytes = new Uint8Array(expected * EXPECTED_RESULT_BYTES);
    this.ends = new Int32Array(expected);
    this.leaves = new Uint8Array(expected * 32);
  }

  get count(): number {
    return this.n;
  }

  /** Takes the result of the block's next tx (in block order): its bytes, its leaf and its index terms. */
  add(tx: DecodedTx, result: TxResult): void {
    const i = this.n;
    this.walk?.tx(i, tx, result);
    const start = i === 0 ? 0 : this.ends[i - 1];
    const size = encodeTxResultInto(result, this.room);
    if (i === this.ends.length) {
      this.ends = grownInts(this.ends);
      this.leaves = grown(this.leaves, 2 * this.leaves.byteLength);
    }
    this.ends[i] = start + 1 + size;
    sha256Into(this.bytes, start, 1 + size, this.leaves, i * 32);
    this.n = i + 1;
  }

  bytesAt(i: number): Uint8Array {
    this.check(i);
    return this.bytes.subarray((i === 0 ? 0 : this.ends[i - 1]) + 1, this.ends[i]);
  }

  leafAt(i: number): Uint8Array {
    this.check(i);
    return this.leaves.subarray(i * 32, i * 32 + 32);
  }

  root(): Uint8Array {
    return merkleRootOfPacked(this.leaves, this.n);
  }

  /** The block's index terms, given its own events once its txs are done (undefined without an index). */
  indexTerms(blockEvents: readonly TxEvent[]): BlockIndexTerms | undefined {
    return this.walk?.finish(blockEvents);
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.n) throw new RangeError(`no result ${i} of ${this.n}`);
  }
}

/** A copy of `a` in an array of at least `need` bytes (twice its size, or more). */
function grown(a: Uint8Array, need: number): Uint8Array {
  const b = new Uint8Array(Math.max(need, 2 * a.byteLength));
  b.set(a);
  return b;
}

function grownInts(a: Int32Array): Int32Array {
  const b = new Int32Array(2 * a.length);
  b.set(a);
  return b;
}

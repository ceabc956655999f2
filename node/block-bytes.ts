import { type Block, encodeBlock } from "../proto/block.ts";

/**
 * Blocks' canonical bytes, encoded once, or kept as they were received (a decoded block's bytes are its
 * canonical encoding: the codec refuses any other): the WAL and the gossip both need them, and a block at the
 * size limit takes milliseconds to encode. Held as long as the block itself is.
 */
export class BlockBytes {
  private readonly bytes = new WeakMap<Block, Uint8Array>();

  /** The bytes `block` was received as. */
  set(block: Block, bytes: Uint8Array): void {
    this.bytes.set(block, bytes);
  }

  of(block: Block): Uint8Array {
    let bytes = this.bytes.get(block);
    if (bytes === undefined) {
      bytes = encodeBlock(block);
      this.bytes.set(block, bytes);
    }
    return bytes;
  }
}

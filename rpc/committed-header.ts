import { equalBytes, toHex } from "../crypto/bytes.ts";
import { blockHash, type Commit, type Header, scanBlock } from "../proto/block.ts";
import type { RpcContext } from "./context.ts";
import { appError } from "./errors.ts";

/**
 * A committed block's header, hash and commit, without decoding its body: what a proof or a light client
 * needs of a block (a block of 10,000 txs need not be decoded to answer a proof). The stored bytes are checked
 * against the digest stored with them (chain-db getBlockBytes), and the header against the committed hash.
 */
export async function committedHeader(
  ctx: RpcContext,
  height: number,
): Promise<{ header: Header; hash: Uint8Array; commit: Commit }> {
  const latest = ctx.app.info().height;
  if (height < 1 || height > latest) {
    throw appError("BLOCK_NOT_FOUND", `block ${height} does not exist; the latest height is ${latest}`, { latest });
  }
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

import { toHex } from "../crypto/bytes.ts";
import { verifyAsync } from "../crypto/ed25519.ts";
import { type DecodedTx, txSignBytes } from "../proto/tx.ts";

/**
 * Verifies transaction signatures once. Signature checks are the node's throughput bound, so every tx is
 * verified at admission, on libuv's thread pool (all cores), and remembered by hash: a block made from the
 * mempool is then validated without verifying again. Bounded: the oldest entries leave first.
 */
export class TxVerifier {
  private readonly chainId: string;
  private readonly limit: number;
  private readonly verified = new Set<string>();

  constructor(chainId: string, limit = 200_000) {
    this.chainId = chainId;
    this.limit = limit;
  }

  isVerified(tx: DecodedTx): boolean {
    return this.verified.has(toHex(tx.hash));
  }

  async verify(tx: DecodedTx): Promise<boolean> {
    const id = toHex(tx.hash);
    if (this.verified.has(id)) return true;
    const ok = await verifyAsync(txSignBytes(this.chainId, tx.bodyBytes), tx.signature, tx.body.senderPubkey);
    if (ok) this.remember(id);
    return ok;
  }

  /** Verifies all, in parallel; returns the index of the first invalid signature, or -1. */
  async verifyAll(txs: readonly DecodedTx[]): Promise<number> {
    const results = await Promise.all(txs.map((tx) => this.verify(tx)));
    return results.indexOf(false);
  }

  /** Forgets hashes once their txs are committed: they can never be admitted or included again. */
  forget(txs: readonly DecodedTx[]): void {
    for (const tx of txs) this.verified.delete(toHex(tx.hash));
  }

  private remember(id: string): void {
    if (this.verified.size >= this.limit) {
      const oldest = this.verified.values().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.add(id);
  }
}

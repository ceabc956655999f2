import { verifyAsync } from "../crypto/ed25519.ts";
import type { VerifyPool } from "../crypto/verify-pool.ts";
import { type DecodedTx, txSignBytes, txSignPrefix } from "../proto/tx.ts";

/**
 * Hashes of verified transactions remembered at most. Committed txs are forgotten at once, so what fills the
 * set is txs verified but never committed (refused after the check, e.g. MEMPOOL_FULL, or dropped later):
 * under overload it sits at this bound. An entry (a 64-char hex id in a Set) costs ~106 bytes of heap
 * (measured over 200,000), so this is ~5 MB; it was 200,000 (~21 MB). Several times any mempool, so a tx
 * still waiting is rarely evicted, and if it is, a block holding it is merely verified again.
 */
export const VERIFIED_TX_LIMIT = 50_000;

/**
 * Verifies transaction signatures once. Signature checks are the node's throughput bound, so every tx is
 * verified at admission, on worker threads (all cores; see crypto/verify-pool.ts), and remembered by hash: a block made from the
 * mempool is then validated without verifying again. Bounded: the oldest entries leave first. A tx whose
 * check is already under way (the same tx from a client and in a proposal, or from two peers, at once) waits
 * for that check rather than starting another: same hash, same bytes, same answer.
 */
/** verify's answer for a tx verified before: one settled promise for all of them. */
const VERIFIED: Promise<boolean> = Promise.resolve(true);

export class TxVerifier {
  private readonly chainId: string;
  private readonly limit: number;
  private readonly verified = new Set<string>();
  /** Checks under way, by tx id. */
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly pool: VerifyPool | undefined;

  /** Without a pool, verification runs on libuv's thread pool (fine for tests and light use). */
  constructor(chainId: string, opts: { pool?: VerifyPool; limit?: number } = {}) {
    this.chainId = chainId;
    this.pool = opts.pool;
    this.limit = opts.limit ?? VERIFIED_TX_LIMIT;
  }

  isVerified(tx: DecodedTx): boolean {
    return this.verified.has(tx.id);
  }

  verify(tx: DecodedTx): Promise<boolean> {
    const id = tx.id;
    if (this.verified.has(id)) return VERIFIED;
    let check = this.inFlight.get(id);
    if (check === undefined) {
      if (this.pool === undefined) {
        const digest = txSignBytes(this.chainId, tx.bodyBytes);
        check = this.settle(id, verifyAsync(digest, tx.signature, tx.body.senderPubkey));
        this.inFlight.set(id, check);
      } else {
        check = this.checkInPool(this.pool, tx);
      }
    }
    return check;
  }

  /**
   * The pool's check of a tx, as one promise per tx: the pool answers into it (verifyDigestOfInto), and the
   * worker makes the digest of the sign bytes (no hash per tx on this thread). In inFlight from the start, since
   * the pool may answer at once (malformed input).
   */
  private checkInPool(pool: VerifyPool, tx: DecodedTx): Promise<boolean> {
    const id = tx.id;
    let resolve: (ok: boolean) => void = () => {};
    const check = new Promise<boolean>((r) => {
      resolve = r;
    });
    this.inFlight.set(id, check);
    const answer = (ok: boolean) => {
      this.inFlight.delete(id);
      if (ok) this.remember(id);
      resolve(ok);
    };
    try {
      pool.verifyDigestOfInto(txSignPrefix(this.chainId), tx.bodyBytes, tx.signature, tx.body.senderPubkey, answer);
    } catch (err) {
      this.inFlight.delete(id); // the pool is closed
      return Promise.reject(err);
    }
    return check;
  }

  /**
   * The check's answer (without a pool), remembered if true; it leaves inFlight once settled (no closure or
   * derived promise per tx for that). Its first step is an await, so the entry is always set before it is deleted.
   */
  private async settle(id: string, check: Promise<boolean>): Promise<boolean> {
    try {
      const ok = await check;
      if (ok) this.remember(id);
      return ok;
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** Verifies all, in parallel; returns the index of the first invalid signature, or -1. */
  async verifyAll(txs: readonly DecodedTx[]): Promise<number> {
    const results = await Promise.all(txs.map((tx) => this.verify(tx)));
    return results.indexOf(false);
  }

  /** Forgets hashes once their txs are committed: they can never be admitted or included again. */
  forget(txs: readonly DecodedTx[]): void {
    for (const tx of txs) this.verified.delete(tx.id);
  }

  private remember(id: string): void {
    if (this.verified.size >= this.limit) {
      const oldest = this.verified.values().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.add(id);
  }
}

import { verifyAsync } from "../crypto/ed25519.ts";
import type { VerifyPool } from "../crypto/verify-pool.ts";
import { type DecodedTx, txSignBytes, txSignPrefix } from "../proto/tx.ts";
import { RecentTxIds, TxIdTable } from "./tx-id-table.ts";

/**
 * Verified transactions remembered: the last this many verified (node/tx-id-table.ts RecentTxIds), less the
 * committed ones, forgotten at once. So a tx is remembered until this many later verifications (25 s at
 * 2,000 tx/s), several times any mempool's stay; one still waiting after that is merely verified again when
 * a block holds it (blocks count each tx's verify in their work budget: state/work.ts). An entry costs ~52
 * bytes of table and ring (as a Set's entry does: measured over 50,000), ~10 off the heap (the table's packed
 * hashes) and, once no pending tx holds it, its 64-character id (~80 bytes): ~7 MB at most. It was 200,000 (~21 MB).
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
  /** The last `limit` ids verified, less those forgotten (node/tx-id-table.ts: no table per block). */
  private readonly verified: RecentTxIds;
  /** Checks under way, by tx id. */
  private readonly inFlight = new TxIdTable<Promise<boolean>>();
  /**
   * Of those, the ids of the checks that will not remember a valid answer (a simulation's), until a caller
   * that would remember asks for the same tx. Only simulations add to it, so it is nearly always empty.
   */
  private readonly notRemembering = new Set<string>();
  private readonly pool: VerifyPool | undefined;

  /** Without a pool, verification runs on this thread (fine for tests and light use). */
  constructor(chainId: string, opts: { pool?: VerifyPool; limit?: number } = {}) {
    this.chainId = chainId;
    this.pool = opts.pool;
    this.verified = new RecentTxIds(opts.limit ?? VERIFIED_TX_LIMIT);
  }

  /**
   * Checks the pool's workers have done whose answers this thread has not handled yet (crypto/verify-pool.ts
   * checkedUnheard): any checks, an admission's or a proposal's alike. 0 without a pool.
   */
  get checkedUnheard(): number {
    return this.pool?.checkedUnheard ?? 0;
  }

  isVerified(tx: DecodedTx): boolean {
    return this.verified.has(tx.id);
  }

  /**
   * Whether `tx`'s signature is valid, checked once. `remember: false` (a simulation's check) keeps a valid
   * answer out of the verified set, which is for txs on their way to a block: a stranger simulating many
   * txs would otherwise push those out, to be verified again on a height's critical path.
   */
  verify(tx: DecodedTx, remember = true): Promise<boolean> {
    const id = tx.id;
    if (this.verified.has(id)) return VERIFIED;
    let check = this.inFlight.get(id);
    if (check === undefined) {
      if (this.pool === undefined) {
        const digest = txSignBytes(this.chainId, tx.bodyBytes);
        if (!remember) this.notRemembering.add(id);
        check = this.settle(id, verifyAsync(digest, tx.signature, tx.body.senderPubkey));
        this.inFlight.set(id, check);
      } else {
        if (!remember) this.notRemembering.add(id);
        check = this.checkInPool(this.pool, tx);
      }
    } else if (remember) {
      // A check under way that would not remember (a simulation's) now does. No promise per call: a tx
      // whose admission check is under way is asked for again by each peer relaying it and by a proposal.
      this.notRemembering.delete(id);
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
      this.settled(id, ok);
      resolve(ok);
    };
    try {
      pool.verifyDigestOfInto(txSignPrefix(this.chainId), tx.bodyBytes, tx.signature, tx.body.senderPubkey, answer);
    } catch (err) {
      this.inFlight.delete(id); // the pool is closed
      this.notRemembering.delete(id);
      return Promise.reject(err);
    }
    return check;
  }

  /** A check is over: it leaves inFlight, and a valid answer is remembered unless only a simulation asked. */
  private settled(id: string, ok: boolean): void {
    this.inFlight.delete(id);
    const remember = !this.notRemembering.delete(id);
    if (ok && remember) this.remember(id);
  }

  /**
   * The check's answer (without a pool), remembered if true; it leaves inFlight once settled (no closure or
   * derived promise per tx for that). Its first step is an await, so the entry is always set before it is deleted.
   */
  private async settle(id: string, check: Promise<boolean>): Promise<boolean> {
    let ok = false;
    try {
      ok = await check;
      return ok;
    } finally {
      this.settled(id, ok);
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
    this.verified.add(id);
  }
}

/**
 * The mempool's books: the pending txs by hash and by sender and nonce, with the running totals (bytes, work,
 * txs behind a nonce gap) and the eviction index, kept consistent by one insert and one drop; and what reads
 * or prunes them: the proposal's reap, a block's update, the TTL's expiry, the params in force. Admission (the
 * checks that decide what is inserted, and the signature check) is node/mempool.ts, built on these books.
 */
import { equalBytes } from "../crypto/bytes.ts";
import type { Account } from "../proto/records.ts";
import type { DecodedTx } from "../proto/tx.ts";
import type { TxError } from "../state/errors.ts";
import { msgSpend } from "../state/execute.ts";
import type { ChainParams } from "../state/params.ts";
import { keyId } from "../state/view.ts";
import { TX_BASE_WORK, txWork, VERIFY_WORK } from "../state/work.ts";
import { CheapestFirst } from "./cheapest-first.ts";
import { type Admission, type PendingTx, type PoolCaps, type PoolView, weightIn } from "./mempool-refusal.ts";
import { type AdmissionLinks, EntriesByHash } from "./entries-by-hash.ts";
import { consistencyProblems } from "./mempool-consistency.ts";
import { NonceSlots } from "./nonce-slots.ts";
import { DEFAULT_MEMPOOL_LIMITS, type MempoolLimits } from "./mempool-limits.ts";

/** What the books read outside themselves. */
export interface BooksDeps {
  /** The chain params at start; the node passes later ones (a governance change) to useParams. */
  params: ChainParams;
  /**
   * The sender's account in the latest committed state. The node returns the state's decoded record, the
   * same object for as long as the account is unchanged, which lets admission skip its second check.
   */
  account(address: Uint8Array): Account;
  /** This node's clock, in ms (Date.now unless a test injects one). */
  now?: () => number;
}

/** Why a pending tx left the mempool unincluded (tx_getStatus remembers it: node/tx-fates.ts). */
export interface MempoolDrop {
  status: "rejected" | "evicted";
  /** A TxError code, or (evicted) TTL, REPLACED or MEMPOOL_FULL. */
  reason: string;
  message: string;
  /** REPLACED: the hash (hex) of the tx that replaced it. */
  replacedBy?: string;
}

/** A pending tx with what the books count of it, and its neighbours in admission order (byHash's). */
export interface Entry extends PendingTx, AdmissionLinks<Entry> {
  tx: DecodedTx;
  /** txWork(tx), counted against the work cap. */
  work: number;
  /** amount + fee: what the tx takes from the sender's balance. */
  spend: bigint;
  /** weightIn(caps, tx): what it takes of a full pool, for eviction's price. */
  weight: bigint;
  /**
   * tx.body.fee: with `weight`, the entry is its own Price for the eviction index (no price object made at each
   * of the heap's comparisons).
   */
  fee: bigint;
  /** Number of blocks committed when it was admitted (for the TTL). */
  admittedAt: number;
  /** The node's clock when it was admitted (for the wall-time TTL). */
  admittedAtMs: number;
}

/** One sender's pending txs, by nonce, with its counts. */
export interface SenderQueue {
  address: Uint8Array;
  /** keyId(address). */
  id: string;
  byNonce: NonceSlots<Entry>;
  /** Its highest-nonce entry: the one a full pool may evict without leaving a gap (see MempoolBooks.tips). */
  tip: Entry | undefined;
  /** Sum of `spend` over byNonce. */
  spend: bigint;
  /** The account nonce when the run was last counted, and the first missing nonce after it. */
  base: number;
  runEnd: number;
  /** Entries beyond runEnd: waiting behind a gap. */
  gapped: number;
}

/** Most work held: maxWorkBlocks blocks at the chain's maxBlockWork. */
function workCap(limits: MempoolLimits, params: ChainParams): number {
  return (limits.maxWorkBlocks ?? DEFAULT_MEMPOOL_LIMITS.maxWorkBlocks) * params.maxBlockWork;
}

/** The books of a Mempool (node/mempool.ts), which adds admission to them. */
export class MempoolBooks<D extends BooksDeps = BooksDeps> implements PoolView {
  protected readonly limits: MempoolLimits;
  protected readonly deps: D;
  protected readonly byHash = new EntriesByHash<Entry>();
  protected readonly senders = new Map<string, SenderQueue>();
  private bytes = 0;
  private work = 0;
  private maxWork: number;
  protected caps: PoolCaps;
  /** The params the next block runs under: admission's minFee and maxTxBytes, the work cap's maxBlockWork. */
  protected params: ChainParams;
  private gappedTotal = 0;
  /** Every sender's highest-nonce tx, cheapest per weight first: what a full pool evicts (no scan). */
  private readonly tips = new CheapestFirst<SenderQueue>((q) => q.tip as Entry); // an entry is its own Price

  /** Blocks seen by update(): the mempool's clock for the TTL. */
  private blocks = 0;
  private readonly droppedListeners: ((tx: DecodedTx, why: MempoolDrop) => void)[] = [];
  /** Bumped by every change to the pool's contents or counts: a check made at the same version still holds. */
  protected version = 0;

  protected readonly now: () => number;

  constructor(limits: MempoolLimits, deps: D) {
    this.limits = limits;
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.params = deps.params;
    this.maxWork = workCap(limits, deps.params);
    this.caps = { limits, maxWork: this.maxWork };
  }

  /**
   * The params in force changed (governance: from the block after the one that executed the change). Later
   * admissions check the new minFee and sizes; a new maxBlockWork resizes the work cap, and every pending tx's
   * weight (a share of that cap) is recomputed once, so eviction compares old and new txs on one scale.
   * Pending txs that no longer qualify (a fee below a raised minFee) are dropped by the proposer's reap.
   */
  useParams(params: ChainParams): void {
    const old = this.params;
    this.params = params;
    if (params.maxBlockWork === old.maxBlockWork) return;
    this.version++;
    this.maxWork = workCap(this.limits, params);
    this.caps = { limits: this.limits, maxWork: this.maxWork };
    for (const entry of this.byHash.values()) entry.weight = weightIn(this.caps, entry.tx);
    // Every price moved: the index is rebuilt (emptied first, so no step sees a heap ordered by old prices).
    for (const queue of this.senders.values()) this.tips.delete(queue);
    for (const queue of this.senders.values()) if (queue.tip !== undefined) this.tips.set(queue);
  }

  get size(): number {
    return this.byHash.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /** Work units held (state/work.ts). */
  get totalWork(): number {
    return this.work;
  }

  protected get capsFull(): boolean {
    return (
      this.byHash.size >= this.limits.maxTxs ||
      this.bytes >= this.limits.maxBytes ||
      this.work + VERIFY_WORK + TX_BASE_WORK > this.maxWork
    );
  }

  has(hashHex: string): boolean {
    return this.byHash.has(hashHex);
  }

  /** The sender's pending transactions by nonce, with their summed spend, if it has any here. */
  pendingOf(sender: Uint8Array, id = keyId(sender)): SenderQueue | undefined {
    return this.senders.get(id);
  }

  cheapestTips(count: number, exceptSender: Uint8Array): PendingTx[] {
    // The common ask, under overload: is the cheapest of all cheaper than this newcomer? One look.
    const top = this.tips.peek();
    if (count === 1 && top !== undefined && !equalBytes(top.address, exceptSender)) return [top.tip as Entry];
    return this.tips.cheapest(count, (q) => equalBytes(q.address, exceptSender)).map((q) => q.tip as Entry);
  }

  /** The sender's pending txs from its account nonce up to (not including) `nonce`, in order; [] if a gap. */
  pendingRunBefore(sender: Uint8Array, accountNonce: number, nonce: number): DecodedTx[] {
    const queue = this.senders.get(keyId(sender));
    const run: DecodedTx[] = [];
    for (let n = accountNonce; n < nonce; n++) {
      const entry = queue?.byNonce.get(n);
      if (entry === undefined) return [];
      run.push(entry.tx);
    }
    return run;
  }

  /** The decoded transaction with this hash, if it is waiting here. */
  get(hashHex: string): DecodedTx | undefined {
    return this.byHash.get(hashHex)?.tx;
  }

  /** Every transaction held, in order of admission (read-only: for status and consistency checks). */
  all(): DecodedTx[] {
    return [...this.byHash.values()].map((e) => e.tx);
  }

  /** Calls `listener` with every tx that leaves unincluded from now on, and why (tx_getStatus's fates). */
  onDropped(listener: (tx: DecodedTx, why: MempoolDrop) => void): void {
    this.droppedListeners.push(listener);
  }

  /**
   * `account`: the sender's, just read from the latest state; `plan`: what admissionPlan said, just now (no
   * await since), so what it evicts and replaces is still here.
   */
  protected insert(tx: DecodedTx, account: Account, plan: Admission): void {
    this.version++;
    const id = tx.senderId;
    for (const e of plan.evicts) {
      const victimId = e.tx.senderId;
      const victim = this.senders.get(victimId) as SenderQueue;
      this.drop(victim, victimId, e.tx.body.nonce, e as Entry, {
        status: "evicted",
        reason: "MEMPOOL_FULL",
        message: `the mempool was full and ${tx.id} paid more for its room (it was its sender's highest pending nonce, so no gap is left)`,
      });
      if (victim.byNonce.size > 0) this.recount(victim);
    }
    let queue = this.senders.get(id);
    if (plan.replaces !== undefined && queue !== undefined) {
      const old = plan.replaces as Entry;
      this.drop(queue, id, tx.body.nonce, old, {
        status: "evicted",
        reason: "REPLACED",
        message: `${tx.id} with the same sender and nonce replaced it, paying fee ${tx.body.fee} against its ${old.tx.body.fee}`,
        replacedBy: tx.id,
      }, true);
    }
    if (queue === undefined) {
      const base = account.nonce;
      const byNonce = new NonceSlots<Entry>();
      queue = { address: tx.sender, id, byNonce, tip: undefined, spend: 0n, base, runEnd: base, gapped: 0 };
      this.senders.set(id, queue);
    }
    const spend = msgSpend(tx.body.msg) + tx.body.fee;
    const weight = weightIn(this.caps, tx);
    const entry: Entry = {
      tx,
      work: txWork(tx),
      spend,
      weight,
      fee: tx.body.fee,
      admittedAt: this.blocks,
      admittedAtMs: this.now(),
      older: undefined,
      newer: undefined,
    };
    queue.byNonce.set(tx.body.nonce, entry);
    queue.spend += entry.spend;
    this.byHash.add(entry);
    this.bytes += tx.bytes.byteLength;
    this.work += entry.work;
    if (queue.tip === undefined || tx.body.nonce > queue.tip.tx.body.nonce) {
      queue.tip = entry;
      this.tips.set(queue);
    }
    if (tx.body.nonce === queue.runEnd) {
      while (queue.byNonce.has(queue.runEnd)) queue.runEnd++;
    }
    this.setGapped(queue, queue.byNonce.size - (queue.runEnd - queue.base));
  }

  /** The sender's highest-nonce entry. */
  private highest(queue: SenderQueue): Entry | undefined {
    const nonce = queue.byNonce.highestNonce;
    return nonce === undefined ? undefined : queue.byNonce.get(nonce);
  }

  private setGapped(queue: SenderQueue, gapped: number): void {
    this.gappedTotal += gapped - queue.gapped;
    queue.gapped = gapped;
  }

  /** Recounts a sender's executable run from its account nonce (after a block or a removal). */
  private recount(queue: SenderQueue): void {
    this.version++;
    queue.base = this.deps.account(queue.address).nonce;
    queue.runEnd = queue.base;
    while (queue.byNonce.has(queue.runEnd)) queue.runEnd++;
    this.setGapped(queue, queue.byNonce.size - (queue.runEnd - queue.base));
  }

  /** Transactions waiting behind a nonce gap, in total. */
  get gappedCount(): number {
    return this.gappedTotal;
  }

  /**
   * Executable transactions for a proposal: per sender, contiguous nonces from the account's nonce;
   * across senders, round-robin in order of first arrival, so one busy sender cannot crowd out the rest.
   * Stops at the first tx that would take the proposal over a limit: count, bytes, or work (state/work.ts,
   * the budget a checker enforces with the same function).
   */
  reap(maxTxs: number, maxBytes: number, maxWork = Number.POSITIVE_INFINITY): DecodedTx[] {
    this.expire();
    const lanes: DecodedTx[][] = [];
    for (const queue of this.senders.values()) {
      const lane: DecodedTx[] = [];
      let nonce = this.deps.account(queue.address).nonce;
      for (let e = queue.byNonce.get(nonce); e !== undefined; e = queue.byNonce.get(++nonce)) lane.push(e.tx);
      if (lane.length > 0) lanes.push(lane);
    }
    const out: DecodedTx[] = [];
    let bytes = 0;
    let work = 0;
    for (let round = 0; lanes.length > 0; round++) {
      let any = false;
      for (const lane of lanes) {
        const tx = lane[round];
        if (tx === undefined) continue;
        const cost = txWork(tx);
        if (out.length >= maxTxs || bytes + tx.bytes.byteLength > maxBytes || work + cost > maxWork) return out;
        out.push(tx);
        bytes += tx.bytes.byteLength;
        work += cost;
        any = true;
      }
      if (!any) break;
    }
    return out;
  }

  /** Drops one transaction (e.g. a proposer found it no longer executes: `why`). */
  remove(tx: DecodedTx, why?: TxError): void {
    const id = tx.senderId;
    const queue = this.senders.get(id);
    const entry = queue?.byNonce.get(tx.body.nonce);
    if (queue === undefined || entry === undefined || entry.tx.id !== tx.id) return;
    this.drop(queue, id, tx.body.nonce, entry, {
      status: "rejected",
      reason: why?.code ?? "INTERNAL",
      message: `it no longer executes against the latest state: ${why?.message ?? "no reason given"}`,
    });
    this.recount(queue);
  }

  /**
   * After a block: removes what it included, then re-checks every sender it touched against the new state,
   * dropping used nonces and any tx the sender's balance can no longer cover (with all later nonces, which
   * could never execute without it). Finally drops whatever has outlived the TTL (see expire).
   */
  update(committed: readonly DecodedTx[]): void {
    this.version++;
    this.blocks++;
    const touched = new Set<string>();
    const included = new Set<string>();
    for (const tx of committed) {
      touched.add(tx.senderId);
      included.add(tx.id);
    }
    for (const id of touched) {
      const queue = this.senders.get(id);
      if (queue === undefined) continue;
      const account = this.deps.account(queue.address);
      let cumulative = 0n;
      let broken = false;
      // Ascending, by index (no object per entry); each step drops at most the entry it is at.
      const byNonce = queue.byNonce;
      for (let nonce = byNonce.lowestNonce ?? 0, high = byNonce.highestNonce ?? -1; nonce <= high; nonce++) {
        const entry = byNonce.get(nonce);
        if (entry === undefined) continue;
        if (nonce < account.nonce) {
          this.drop(queue, id, nonce, entry, included.has(entry.tx.id) ? undefined : {
            status: "rejected",
            reason: "NONCE_TOO_LOW",
            message: `another transaction of its sender with nonce ${nonce} was included first`,
          });
          continue;
        }
        cumulative += entry.spend;
        if (broken || cumulative > account.balance) {
          this.drop(queue, id, nonce, entry, {
            status: "rejected",
            reason: "INSUFFICIENT_FUNDS",
            message: broken
              ? "an earlier nonce of its sender was dropped (its balance fell short), so it could never execute"
              : `after a block its sender's balance ${account.balance} no longer covers its pending spends (${cumulative})`,
          });
          broken = true;
        }
      }
      this.recount(queue);
    }
    this.expire();
  }

  /**
   * Drops every transaction that has waited longer than the TTL, in blocks or in wall time, so nonce gaps
   * or a stalled chain cannot pin mempool space forever. Runs at admission, reap and commit, and on the
   * node's timer, so it does not depend on blocks being made. Cheap: entries are kept in admission order
   * (byHash's), so it stops at the first one still young. If the clock steps back, the
   * entries admitted after the step wait a little longer; nothing breaks.
   */
  expire(): void {
    const oldestBlock = this.blocks - this.limits.ttlBlocks;
    const oldestMs = this.now() - this.limits.ttlMs;
    let touched: Map<string, SenderQueue> | undefined; // made only when something expires: this runs per admission
    // Along the links, not values(): no iterator made per admission.
    let entry = this.byHash.oldest;
    while (entry !== undefined) {
      if (entry.admittedAt >= oldestBlock && entry.admittedAtMs >= oldestMs) break;
      const expired = entry;
      entry = entry.newer; // read before the drop unlinks it
      const id = expired.tx.senderId;
      const queue = this.senders.get(id) as SenderQueue;
      this.drop(queue, id, expired.tx.body.nonce, expired, {
        status: "evicted",
        reason: "TTL",
        message: `it waited longer than the mempool's TTL (${this.limits.ttlBlocks} blocks or ${this.limits.ttlMs} ms)`,
      });
      (touched ??= new Map()).set(id, queue);
    }
    if (touched !== undefined) for (const queue of touched.values()) this.recount(queue);
  }

  /**
   * What is wrong with the mempool's books, if anything (empty when sound): see node/mempool-consistency.ts.
   * For tests and debugging; O(size).
   */
  consistencyProblems(): string[] {
    const { byHash, senders, bytes, work, gappedTotal, tips } = this;
    return consistencyProblems({ byHash, senders, bytes, work, gappedTotal, tips });
  }

  /**
   * `why`: why it leaves unincluded (told to the onDropped listeners); none when a block included it.
   * `refill`: a replacement takes the nonce at once, so the sender's queue stays even if this empties it.
   */
  private drop(queue: SenderQueue, id: string, nonce: number, entry: Entry, why?: MempoolDrop, refill = false): void {
    this.version++;
    queue.byNonce.delete(nonce);
    queue.spend -= entry.spend;
    this.byHash.delete(entry.tx.id);
    this.bytes -= entry.tx.bytes.byteLength;
    this.work -= entry.work;
    if (queue.tip === entry) {
      queue.tip = this.highest(queue);
      if (queue.tip === undefined) this.tips.delete(queue);
      else this.tips.set(queue);
    }
    if (queue.byNonce.size === 0 && !refill) {
      this.senders.delete(id);
      this.setGapped(queue, 0);
    }
    if (why !== undefined) for (const listener of this.droppedListeners) listener(entry.tx, why);
  }
}

import { equalBytes, toHex } from "../crypto/bytes.ts";
import { CodecError } from "../proto/codec.ts";
import type { Account } from "../proto/records.ts";
import { type DecodedTx, decodeTx, txHash } from "../proto/tx.ts";
import { TxError } from "../state/errors.ts";
import { checkTxStateless, msgSpend } from "../state/execute.ts";
import type { ChainParams } from "../state/params.ts";
import { keyId } from "../state/view.ts";
import { TX_BASE_WORK, txWork, VERIFY_WORK } from "../state/work.ts";
import { ADMISSION_QUEUE_MS, AdmissionQueueLimit } from "./admission-queue.ts";
import { CheapestFirst } from "./cheapest-first.ts";
import {
  type Admission,
  admissionPlan,
  type PendingTx,
  type PoolCaps,
  type PoolView,
  outbids,
  weightIn,
} from "./mempool-refusal.ts";
import { settledWithin } from "./settled-within.ts";
import { NoncesInFlight } from "./nonces-in-flight.ts";
import type { TxVerifier } from "./tx-verifier.ts";

import { DEFAULT_MEMPOOL_LIMITS, type MempoolLimits, minReplacementFee } from "./mempool-limits.ts";

export { DEFAULT_MEMPOOL_LIMITS, type MempoolLimits } from "./mempool-limits.ts";

// The admission queue's bound lives with its rate window; re-exported for the mempool's users and tests.
export { ADMISSION_QUEUE_MS, MIN_ADMISSION_QUEUE } from "./admission-queue.ts";

export interface MempoolDeps {
  chainId: string;
  /** The chain params at start; the node passes later ones (a governance change) to useParams. */
  params: ChainParams;
  verifier: TxVerifier;
  /**
   * The sender's account in the latest committed state. The node returns the state's decoded record, the
   * same object for as long as the account is unchanged, which lets admission skip its second check.
   */
  account(address: Uint8Array): Account;
  /** Height at which a tx hash was included, if it was. */
  includedAt(hash: Uint8Array): Promise<number | undefined>;
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

/** Why a pending tx is not in a block yet. */
export interface PendingReason {
  /** NONCE_GAP: an earlier nonce of its sender is missing; CHECKING: its signature is being checked; QUEUED: next blocks. */
  reason: "NONCE_GAP" | "CHECKING" | "QUEUED";
  message: string;
}

interface Entry extends PendingTx {
  tx: DecodedTx;
  /** txWork(tx), counted against the work cap. */
  work: number;
  /** amount + fee: what the tx takes from the sender's balance. */
  spend: bigint;
  /** weightIn(caps, tx): what it takes of a full pool, for eviction's price. */
  weight: bigint;
  /** Number of blocks committed when it was admitted (for the TTL). */
  admittedAt: number;
  /** The node's clock when it was admitted (for the wall-time TTL). */
  admittedAtMs: number;
}

interface SenderQueue {
  address: Uint8Array;
  /** keyId(address). */
  id: string;
  byNonce: Map<number, Entry>;
  /** Its highest-nonce entry: the one a full pool may evict without leaving a gap (see Mempool.tips). */
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

/**
 * Pending transactions, checked on admission (decode, canonical form, size, chain id, fee, nonce, balance
 * covering every pending spend of the sender, signature) and kept per sender by nonce. Proposals take
 * executable txs (contiguous nonces from the account's) round-robin across senders; a committed block
 * evicts what it included and whatever it made invalid.
 */
export class Mempool implements PoolView {
  private readonly limits: MempoolLimits;
  private readonly deps: MempoolDeps;
  private readonly byHash = new Map<string, Entry>();
  private readonly senders = new Map<string, SenderQueue>();
  private bytes = 0;
  private work = 0;
  private maxWork: number;
  private caps: PoolCaps;
  /** The params the next block runs under: admission's minFee and maxTxBytes, the work cap's maxBlockWork. */
  private params: ChainParams;
  private gappedTotal = 0;
  /** Every sender's highest-nonce tx, cheapest per weight first: what a full pool evicts (no scan). */
  private readonly tips = new CheapestFirst<SenderQueue>((q) => {
    const tip = q.tip as Entry;
    return { fee: tip.tx.body.fee, weight: tip.weight };
  });

  /** Blocks seen by update(): the mempool's clock for the TTL. */
  private blocks = 0;
  /** Admissions between their first check and their answer, by tx hash: copies wait for the first. */
  private readonly admissions = new Map<string, Promise<void>>();
  /** The same admissions by sender and nonce: a later nonce checked meanwhile is not behind a gap. */
  private readonly noncesInFlight = new NoncesInFlight();
  private readonly admittedListeners: ((tx: DecodedTx) => void)[] = [];
  private readonly droppedListeners: ((tx: DecodedTx, why: MempoolDrop) => void)[] = [];
  /** How many admissions may wait for their signature check, by this node's check rate. */
  private readonly queueLimit: AdmissionQueueLimit;
  /** Bumped by every change to the pool's contents or counts: a check made at the same version still holds. */
  private version = 0;

  private readonly now: () => number;

  constructor(limits: MempoolLimits, deps: MempoolDeps) {
    this.limits = limits;
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.queueLimit = new AdmissionQueueLimit(this.now);
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

  /** Admissions between their first check and their answer (most wait for their signature check). */
  get inFlight(): number {
    return this.admissions.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /** Work units held (state/work.ts). */
  get totalWork(): number {
    return this.work;
  }

  /**
   * No tx could be admitted now, decided without looking at one: the count, byte or work cap is reached (not
   * even the least work any tx costs fits), or the admission queue is. The relay then reads a peer's tx only
   * as far as mightEnter; a client's tx still gets add's MEMPOOL_FULL (or a better reason) to act on, or,
   * outbidding the cheapest pending tx it may evict, gets in (admissionPlan).
   */
  get full(): boolean {
    return this.capsFull || this.admissionQueueFull;
  }

  /** As many admissions as this node checks in ADMISSION_QUEUE_MS wait for their signature check. */
  get admissionQueueFull(): boolean {
    return this.admissions.size >= this.queueLimit.limit;
  }

  private get capsFull(): boolean {
    return (
      this.byHash.size >= this.limits.maxTxs ||
      this.bytes >= this.limits.maxBytes ||
      this.work + VERIFY_WORK + TX_BASE_WORK > this.maxWork
    );
  }

  /**
   * Whether admission could take this tx now, by one cheap look (a map lookup or the top of the eviction
   * index, no signature check): the pool is not full; or, full on its caps (not on the admission queue), the
   * tx replaces its sender's pending tx of the same nonce paying enough more, or outbids the cheapest tx it
   * may evict. The relay's filter for peers' txs under congestion, so that fee bumps still propagate then.
   * A yes is no promise: admission checks everything.
   */
  mightEnter(tx: DecodedTx): boolean {
    if (this.admissionQueueFull) return false;
    if (!this.capsFull) return true;
    const pending = this.senders.get(keyId(tx.sender))?.byNonce.get(tx.body.nonce);
    if (pending !== undefined) return tx.body.fee >= minReplacementFee(pending.tx.body.fee);
    const [cheapest] = this.cheapestTips(1, tx.sender);
    return cheapest !== undefined && outbids({ fee: tx.body.fee, weight: weightIn(this.caps, tx) }, cheapest);
  }

  has(hashHex: string): boolean {
    return this.byHash.has(hashHex);
  }

  /** The sender's pending transactions by nonce, with their summed spend, if it has any here. */
  pendingOf(sender: Uint8Array): SenderQueue | undefined {
    return this.senders.get(keyId(sender));
  }

  cheapestTips(count: number, exceptSender: Uint8Array): PendingTx[] {
    // The common ask, under overload: is the cheapest of all cheaper than this newcomer? One look.
    const top = this.tips.peek();
    if (count === 1 && top !== undefined && !equalBytes(top.address, exceptSender)) return [top.tip as Entry];
    return this.tips.cheapest(count, (q) => equalBytes(q.address, exceptSender)).map((q) => q.tip as Entry);
  }

  /**
   * Why tx_submit would refuse `tx` now, or undefined if it would admit it: its stateless checks and the
   * admission rules (admissionPlan: nonce against the pending run, amount + fee + pending spend against the
   * balance, room) on the latest account and the pool as they are, the signature aside. Nothing is inserted,
   * reserved or evicted. tx_simulate's admission (rpc/tx-simulation.ts), so the two cannot disagree.
   */
  async refusalOf(tx: DecodedTx): Promise<TxError | undefined> {
    checkTxStateless(tx, this.deps.chainId, this.params); // in force, as admit checks
    const account = this.deps.account(tx.sender);
    const plan = admissionPlan(this, this.caps, tx, account, this.nextNonce(keyId(tx.sender), account));
    return plan instanceof TxError ? this.explain(tx, plan) : undefined;
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

  /** The admission of this tx under way (its signature being checked), if any: settles when it is decided. */
  admission(hashHex: string): Promise<void> | undefined {
    return this.admissions.get(hashHex);
  }

  /** Every transaction held, in order of admission (read-only: for status and consistency checks). */
  all(): DecodedTx[] {
    return [...this.byHash.values()].map((e) => e.tx);
  }

  /** Calls `listener` with every transaction admitted from now on (the relay sends them to peers). */
  onAdmitted(listener: (tx: DecodedTx) => void): void {
    this.admittedListeners.push(listener);
  }

  /** Calls `listener` with every tx that leaves unincluded from now on, and why (tx_getStatus's fates). */
  onDropped(listener: (tx: DecodedTx, why: MempoolDrop) => void): void {
    this.droppedListeners.push(listener);
  }

  /** Why a tx held (or being admitted) here waits, or undefined if it is neither. */
  pendingReason(hashHex: string): PendingReason | undefined {
    if (this.admissions.has(hashHex)) {
      return { reason: "CHECKING", message: "its signature is being checked for admission to the mempool" };
    }
    const entry = this.byHash.get(hashHex);
    if (entry === undefined) return undefined;
    const { nonce } = entry.tx.body;
    const queue = this.senders.get(keyId(entry.tx.sender));
    if (queue !== undefined && nonce > queue.runEnd) {
      return {
        reason: "NONCE_GAP",
        message: `it has nonce ${nonce}, but its sender's nonce ${queue.runEnd} is missing (the account's next ` +
          `nonce is ${queue.base}): it waits until a tx with nonce ${queue.runEnd} arrives`,
      };
    }
    return { reason: "QUEUED", message: "it is executable and waits for a block to include it" };
  }

  /**
   * Admits signed-tx bytes (or a tx already decoded from them) or throws TxError saying why not. `hash`:
   * txHash(bytes), if already known.
   *
   * Admission is atomic although the signature is checked on another thread: after the signature check the
   * state checks run again and the tx is inserted with no await in between, so of two same-nonce rivals
   * checked at once the first valid one to finish wins and the other is refused NONCE_PENDING. Nothing is
   * reserved before the signature is checked: the sender is named by a public key in the tx body, which
   * anyone may copy, so a reservation would let a forgery hold a real sender's nonce while it is checked.
   * A copy of a tx already being admitted (same hash, so same bytes and signature) is not checked twice: it
   * waits for the first and gets its answer (ALREADY_KNOWN if admitted, the same refusal if not).
   */
  async add(signed: Uint8Array | DecodedTx, hash?: Uint8Array): Promise<DecodedTx> {
    const { params } = this;
    const bytes = signed instanceof Uint8Array ? signed : signed.bytes;
    if (bytes.byteLength > params.maxTxBytes) {
      throw new TxError(
        "TX_TOO_LARGE",
        `transaction is ${bytes.byteLength} bytes; the limit is ${params.maxTxBytes}`,
      );
    }
    if (this.admissionQueueFull && signed instanceof Uint8Array) {
      // Refused on the hash alone, before decoding (the node has no time to spare, and this is the refusal a
      // client must back off on), unless these very bytes are held or being checked here: a resend gets
      // ALREADY_KNOWN, or the answer of the check under way, as it would with room in the queue.
      hash ??= txHash(bytes);
      const id = toHex(hash);
      if (!this.byHash.has(id) && !this.admissions.has(id)) throw this.queueFullError();
    }
    let tx: DecodedTx;
    try {
      tx = signed instanceof Uint8Array ? decodeTx(bytes, hash) : signed;
    } catch (err) {
      if (err instanceof CodecError)
        throw new TxError("TX_MALFORMED", `transaction rejected: ${err.message}`);
      throw err;
    }
    const first = this.admissions.get(tx.id);
    if (first !== undefined) {
      await first; // its refusal, if refused, is ours too
      throw new TxError("ALREADY_KNOWN", `transaction ${tx.id} was admitted to the mempool by another request`);
    }
    if (this.admissionQueueFull) {
      // A resend of a tx held here is told so (with room in the queue, admissionPlan says the same).
      if (this.byHash.has(tx.id)) throw new TxError("ALREADY_KNOWN", `transaction ${tx.id} is already in the mempool`);
      throw this.queueFullError();
    }
    const admission = this.admit(tx);
    this.admissions.set(tx.id, admission);
    try {
      await admission;
    } finally {
      this.admissions.delete(tx.id);
    }
    for (const listener of this.admittedListeners) listener(tx);
    return tx;
  }

  private queueFullError(): TxError {
    return new TxError(
      "MEMPOOL_FULL",
      `the node is checking ${this.admissions.size} transactions already (about ${ADMISSION_QUEUE_MS} ms of work); try again shortly`,
    );
  }

  /** Checks a decoded tx (statelessly, against the state, its signature, the state again) and inserts it. */
  private async admit(tx: DecodedTx): Promise<void> {
    checkTxStateless(tx, this.deps.chainId, this.params);
    this.expire();
    const id = keyId(tx.sender);
    const seen = this.deps.account(tx.sender);
    const version = this.version;
    // Predecessors still in flight count as present for this first check (see NoncesInFlight); only those
    // below this tx's nonce: a rival of the same nonce in flight (a forgery, say) must not make it a gap.
    const next = this.nextNonce(id, seen, tx.body.nonce);
    const early = admissionPlan(this, this.caps, tx, seen, next);
    if (early instanceof TxError) throw early.code === "NONCE_TOO_LOW" ? await this.explain(tx, early) : early;
    let plan: Admission = early;
    const leave = this.noncesInFlight.enter(id, tx.body.nonce);
    try {
      const verified = await this.deps.verifier.verify(tx);
      this.queueLimit.counted();
      if (!verified) {
        throw new TxError("BAD_SIGNATURE", "signature does not match the transaction body and sender public key");
      }
      // The state or the pool may have moved while the signature was checked: check again, then insert, with
      // no await in between. The check is skipped only when neither moved: the pool's version is the same, the
      // account is the very record read before (a committed change to it is a new record), and the first
      // check did not count on a predecessor in flight.
      let account = this.deps.account(tx.sender);
      if (account !== seen || this.version !== version || next !== this.nextNonce(id, seen)) {
        for (;;) {
          const late = admissionPlan(this, this.caps, tx, account, this.nextNonce(id, account));
          if (!(late instanceof TxError)) {
            plan = late;
            break;
          }
          // Behind a gap only because an earlier nonce is still being checked: wait for it, then check again.
          const before = this.isGap(tx, account, late)
            ? this.firstInFlightBefore(id, account, tx.body.nonce)
            : undefined;
          if (before === undefined) throw await this.explain(tx, late);
          // Bounded: rivals for that nonce (forgeries of it) may keep it in flight as long as they keep coming.
          if (!(await settledWithin(before, ADMISSION_QUEUE_MS))) throw late;
          account = this.deps.account(tx.sender);
        }
      }
      this.insert(tx, account, plan);
    } finally {
      leave();
    }
  }

  /**
   * The first nonce the sender's pending run lacks; with `inFlightBelow`, nonces below it being admitted
   * right now count as present.
   */
  private nextNonce(id: string, account: Account, inFlightBelow?: number): number {
    let next = this.senders.get(id)?.runEnd ?? account.nonce;
    if (inFlightBelow !== undefined) while (next < inFlightBelow && this.noncesInFlight.has(id, next)) next++;
    return next;
  }

  /** Whether `refusal` is the gap refusal (a nonce beyond the run, with the gap cap full). */
  private isGap(tx: DecodedTx, account: Account, refusal: TxError): boolean {
    return refusal.code === "NONCE_TOO_HIGH" && tx.body.nonce < account.nonce + this.limits.maxPerSender;
  }

  /** When the missing nonce before `nonce` is being admitted now: a promise that it is decided. */
  private firstInFlightBefore(id: string, account: Account, nonce: number): Promise<void> | undefined {
    const next = this.nextNonce(id, account);
    return next < nonce ? this.noncesInFlight.settled(id, next) : undefined;
  }

  /** A nonce below the account's may be a replay of an included tx: say so, with its height. */
  private async explain(tx: DecodedTx, refusal: TxError): Promise<TxError> {
    if (refusal.code !== "NONCE_TOO_LOW") return refusal;
    const height = await this.deps.includedAt(tx.hash);
    if (height === undefined) return refusal;
    return new TxError("ALREADY_INCLUDED", `transaction ${tx.id} was already included at height ${height}`, {
      height,
    });
  }

  /**
   * `account`: the sender's, just read from the latest state; `plan`: what admissionPlan said, just now (no
   * await since), so what it evicts and replaces is still here.
   */
  private insert(tx: DecodedTx, account: Account, plan: Admission): void {
    this.version++;
    const id = keyId(tx.sender);
    for (const e of plan.evicts) {
      const victimId = keyId(e.tx.sender);
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
      queue = { address: tx.sender, id, byNonce: new Map(), tip: undefined, spend: 0n, base, runEnd: base, gapped: 0 };
      this.senders.set(id, queue);
    }
    const spend = msgSpend(tx.body.msg) + tx.body.fee;
    const weight = weightIn(this.caps, tx);
    const entry: Entry = { tx, work: txWork(tx), spend, weight, admittedAt: this.blocks, admittedAtMs: this.now() };
    queue.byNonce.set(tx.body.nonce, entry);
    queue.spend += entry.spend;
    this.byHash.set(tx.id, entry);
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

  /**
   * The sender's highest-nonce entry. Usually the nonce just below the one dropped; else a walk over its
   * entries, at most maxPerSender of them (blocks drop a sender's nonces lowest first, so rarely).
   */
  private highest(queue: SenderQueue): Entry | undefined {
    const below = queue.tip === undefined ? undefined : queue.byNonce.get(queue.tip.tx.body.nonce - 1);
    if (below !== undefined) return below;
    let best: Entry | undefined;
    for (const e of queue.byNonce.values()) if (best === undefined || e.tx.body.nonce > best.tx.body.nonce) best = e;
    return best;
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
    const id = keyId(tx.sender);
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
      touched.add(keyId(tx.sender));
      included.add(tx.id);
    }
    for (const id of touched) {
      const queue = this.senders.get(id);
      if (queue === undefined) continue;
      const account = this.deps.account(queue.address);
      const nonces = [...queue.byNonce.keys()].sort((a, b) => a - b);
      let cumulative = 0n;
      let broken = false;
      for (const nonce of nonces) {
        const entry = queue.byNonce.get(nonce) as Entry;
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
   * (byHash is insertion-ordered), so it stops at the first one still young. If the clock steps back, the
   * entries admitted after the step wait a little longer; nothing breaks.
   */
  expire(): void {
    const oldestBlock = this.blocks - this.limits.ttlBlocks;
    const oldestMs = this.now() - this.limits.ttlMs;
    const touched = new Map<string, SenderQueue>();
    for (const entry of this.byHash.values()) {
      if (entry.admittedAt >= oldestBlock && entry.admittedAtMs >= oldestMs) break;
      const id = keyId(entry.tx.sender);
      const queue = this.senders.get(id) as SenderQueue;
      this.drop(queue, id, entry.tx.body.nonce, entry, {
        status: "evicted",
        reason: "TTL",
        message: `it waited longer than the mempool's TTL (${this.limits.ttlBlocks} blocks or ${this.limits.ttlMs} ms)`,
      });
      touched.set(id, queue);
    }
    for (const queue of touched.values()) this.recount(queue);
  }

  /**
   * What is wrong with the mempool's books, if anything (empty when sound): the byte count is the sum of
   * the entries, the hash index and the per-sender nonce index hold the same entries, each sender's spend
   * run end and gap counts match its entries, and the eviction index holds each sender's highest nonce. For tests
   * and debugging; O(size).
   */
  consistencyProblems(): string[] {
    const problems: string[] = [];
    let bytes = 0;
    let inQueues = 0;
    let gapped = 0;
    let work = 0;
    for (const entry of this.byHash.values()) {
      bytes += entry.tx.bytes.byteLength;
      work += entry.work;
    }
    if (bytes !== this.bytes) problems.push(`byte count ${this.bytes} but the entries hold ${bytes}`);
    if (work !== this.work) problems.push(`work count ${this.work} but the entries hold ${work}`);
    for (const [id, queue] of this.senders) {
      if (queue.byNonce.size === 0) problems.push(`sender ${id} has an empty queue`);
      let spend = 0n;
      for (const [nonce, entry] of queue.byNonce) {
        inQueues++;
        spend += entry.spend;
        if (this.byHash.get(entry.tx.id) !== entry) problems.push(`${entry.tx.id} is queued but not indexed by hash`);
        if (entry.tx.body.nonce !== nonce || keyId(entry.tx.sender) !== id)
          problems.push(`${entry.tx.id} is queued under the wrong sender or nonce`);
      }
      if (spend !== queue.spend) problems.push(`sender ${id} spend ${queue.spend} but its entries spend ${spend}`);
      let runEnd = queue.base;
      while (queue.byNonce.has(runEnd)) runEnd++;
      if (runEnd !== queue.runEnd) problems.push(`sender ${id}'s run ends at ${queue.runEnd}, its entries at ${runEnd}`);
      const behindGap = queue.byNonce.size - (runEnd - queue.base);
      if (behindGap !== queue.gapped) problems.push(`sender ${id} counts ${queue.gapped} behind a gap, its entries ${behindGap}`);
      const highest = Math.max(...queue.byNonce.keys());
      if (queue.tip !== queue.byNonce.get(highest)) problems.push(`sender ${id}'s tip is not its highest nonce ${highest}`);
      if (!this.tips.has(queue)) problems.push(`sender ${id} is missing from the eviction index`);
      gapped += queue.gapped;
    }
    if (inQueues !== this.byHash.size)
      problems.push(`${this.byHash.size} txs indexed by hash but ${inQueues} queued by nonce`);
    if (this.tips.size !== this.senders.size)
      problems.push(`the eviction index holds ${this.tips.size} senders, the pool ${this.senders.size}`);
    if (gapped !== this.gappedTotal) problems.push(`gapped total ${this.gappedTotal} but senders count ${gapped}`);
    return problems;
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

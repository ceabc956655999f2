import { toHex } from "../crypto/bytes.ts";
import { CodecError } from "../proto/codec.ts";
import type { Account } from "../proto/records.ts";
import { type DecodedTx, decodeTx, txHash } from "../proto/tx.ts";
import { TxError } from "../state/errors.ts";
import { checkTxStateless } from "../state/execute.ts";
import {
  ADMISSION_QUEUE_MS,
  ADMISSIONS_HELD_FACTOR,
  AdmissionQueueLimit,
  SIMULATED_REMEMBERED,
  SIMULATIONS_PART_OF_QUEUE,
} from "./admission-queue.ts";
import { type BooksDeps, MempoolBooks } from "./mempool-books.ts";
import { explainRefusal, type PendingReason, pendingReasonOf } from "./mempool-explain.ts";
import { type Admission, admissionPlan, outbids, weightIn } from "./mempool-refusal.ts";
import { settledWithin } from "./settled-within.ts";
import { NoncesInFlight } from "./nonces-in-flight.ts";
import { RecentTxIds, TxIdTable } from "./tx-id-table.ts";
import type { TxVerifier } from "./tx-verifier.ts";

import { type MempoolLimits, minReplacementFee } from "./mempool-limits.ts";

export { DEFAULT_MEMPOOL_LIMITS, type MempoolLimits } from "./mempool-limits.ts";
export type { MempoolDrop } from "./mempool-books.ts";
export type { PendingReason } from "./mempool-explain.ts";

// The admission queue's bound lives with its rate window; re-exported for the mempool's users and tests.
export { ADMISSION_QUEUE_MS, MIN_ADMISSION_QUEUE } from "./admission-queue.ts";

/** A copy of a tx whose admission is under way: that admission's refusal, or ALREADY_KNOWN once it is in. */
async function alreadyAdmitting(first: Promise<void>, id: string): Promise<never> {
  await first; // its refusal, if refused, is ours too
  throw new TxError("ALREADY_KNOWN", `transaction ${id} was admitted to the mempool by another request`);
}

/**
 * How long a tx behind a gap waits for the earlier nonce being checked to settle: twice the admission queue's
 * time, so a predecessor queued at the limit while the check rate dips still makes it.
 */
const PREDECESSOR_WAIT_MS = 2 * ADMISSION_QUEUE_MS;

export interface MempoolDeps extends BooksDeps {
  chainId: string;
  verifier: TxVerifier;
  /** Height at which a tx hash was included, if it was. */
  includedAt(hash: Uint8Array): Promise<number | undefined>;
}

/**
 * Pending transactions, checked on admission (decode, canonical form, size, chain id, fee, nonce, balance
 * covering every pending spend of the sender, signature) and kept per sender by nonce. Proposals take
 * executable txs (contiguous nonces from the account's) round-robin across senders; a committed block
 * evicts what it included and whatever it made invalid.
 *
 * The books (what is held, per sender, and what prunes it) are node/mempool-books.ts; this is admission.
 */
export class Mempool extends MempoolBooks<MempoolDeps> {
  /** Admissions between their first check and their answer, by tx hash: copies wait for the first. */
  private readonly admissions = new TxIdTable<Promise<void>>();
  /** The same admissions by sender and nonce: a later nonce checked meanwhile is not behind a gap. */
  private readonly noncesInFlight = new NoncesInFlight();
  private readonly admittedListeners: ((tx: DecodedTx) => void)[] = [];
  /** How many admissions may wait for their signature check, by this node's check rate. */
  private readonly queueLimit: AdmissionQueueLimit;
  /** tx_simulate's signature checks under way: the same workers check them, so they count in the queue. */
  private simulating = 0;
  /** Of the admissions under way, strangers' relayed txs (add's "stranger"): not counted in the queue. */
  private strangersUnderWay = 0;
  /** Simulated txs found validly signed lately (not in the verifier's set, which is for txs bound for blocks). */
  private readonly simulatedValid = new RecentTxIds(SIMULATED_REMEMBERED);

  constructor(limits: MempoolLimits, deps: MempoolDeps) {
    super(limits, deps);
    this.queueLimit = new AdmissionQueueLimit(this.now);
  }

  /** Admissions between their first check and their answer (most wait for their signature check). */
  get inFlight(): number {
    return this.admissions.size;
  }

  /**
   * No client's tx could be admitted now, decided without looking at one: the count, byte or work cap is
   * reached (not even the least work any tx costs fits), or the admission queue is. A client's tx still gets
   * add's MEMPOOL_FULL (or a better reason) to act on, or, outbidding the cheapest pending tx it may evict,
   * gets in (admissionPlan).
   */
  get full(): boolean {
    return this.capsFull || this.admissionQueueFull;
  }

  /**
   * The caps are reached, for peers' txs (the admission queue does not refuse those: see add): the relay
   * then reads a peer's tx only as far as mightEnter (a fee bump or an outbidding tx still gets in).
   */
  get fullForPeers(): boolean {
    return this.capsFull;
  }

  /**
   * As many admissions as this node checks in ADMISSION_QUEUE_MS wait for their signature check, or twice
   * as many are under way whatever their checks' state.
   */
  get admissionQueueFull(): boolean {
    const limit = this.queueLimit.limit;
    return this.waitingForCheck >= limit || this.underWay >= ADMISSIONS_HELD_FACTOR * limit;
  }

  /** Admissions and tx_simulate's checks under way, strangers' relayed txs aside (see add). */
  private get underWay(): number {
    return this.admissions.size + this.simulating - this.strangersUnderWay;
  }

  /**
   * Admissions whose signature check is not done: those under way less the checks the workers have done whose
   * answers this thread has not handled (TxVerifier.checkedUnheard). Those wait for this thread, not for a
   * worker: after a block's commit or a garbage collection held it, it hears them in its next turns, each an
   * admission's last few microseconds. Counting them refused clients for a queue the workers had already
   * emptied. A lower bound: the checks done may be a proposal's as well (hence the second bound above).
   */
  get waitingForCheck(): number {
    const n = this.underWay;
    // The checks done may be strangers' (which underWay leaves out): as many as are under way are not counted.
    const done = Math.max(0, this.deps.verifier.checkedUnheard - this.strangersUnderWay);
    return n - Math.min(n, done);
  }

  /**
   * tx_simulate's signature check of `tx` (after its state checks, as admission's), made by this node's
   * verifier: its workers, never libuv's pool, where LevelDB's reads and the consensus WAL's fsync wait (a
   * batch of 1,000 simulations of one tx made 1,000 checks there). A tx verified before, simulated validly
   * lately (SIMULATED_REMEMBERED), or being checked is not checked again. Otherwise it counts in the admission
   * queue until answered, and is refused MEMPOOL_FULL while the queue is full or simulations hold their part
   * of it (SIMULATIONS_PART_OF_QUEUE): they cost the sender nothing, and must not crowd out submissions. A
   * valid answer is not added to the verifier's set (TxVerifier.verify's `remember`).
   */
  checkSignatureToSimulate(tx: DecodedTx): Promise<boolean> {
    const id = tx.id;
    if (this.deps.verifier.isVerified(tx) || this.simulatedValid.has(id)) return Promise.resolve(true);
    if (this.admissionQueueFull || this.simulating >= SIMULATIONS_PART_OF_QUEUE * this.queueLimit.limit) {
      return Promise.reject(this.queueFullError());
    }
    let check: Promise<boolean>;
    try {
      check = this.deps.verifier.verify(tx, false);
    } catch (err) {
      return Promise.reject(err);
    }
    this.simulating++;
    check.then(
      (ok) => {
        this.simulating--;
        if (ok) this.simulatedValid.add(id);
      },
      () => {
        this.simulating--;
      },
    );
    return check;
  }

  /**
   * Whether admission could take this tx now, by one cheap look (a map lookup or the top of the eviction
   * index, no signature check): the pool's caps are not reached; or, full, the tx replaces its sender's
   * pending tx of the same nonce paying enough more, or outbids the cheapest tx it may evict. The relay's
   * filter for peers' txs under congestion, so that fee bumps still propagate then.
   * A yes is no promise: admission checks everything.
   */
  mightEnter(tx: DecodedTx): boolean {
    if (!this.capsFull) return true;
    const pending = this.senders.get(tx.senderId)?.byNonce.get(tx.body.nonce);
    if (pending !== undefined) return tx.body.fee >= minReplacementFee(pending.tx.body.fee);
    const [cheapest] = this.cheapestTips(1, tx.sender);
    return cheapest !== undefined && outbids({ fee: tx.body.fee, weight: weightIn(this.caps, tx) }, cheapest);
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
    const plan = admissionPlan(this, this.caps, tx, account, this.nextNonce(tx.senderId, account));
    return plan instanceof TxError ? this.explain(tx, plan) : undefined;
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

  /** Why a tx held (or being admitted) here waits, or undefined if it is neither. */
  pendingReason(hashHex: string): PendingReason | undefined {
    const entry = this.byHash.get(hashHex);
    const queue = entry === undefined ? undefined : this.senders.get(entry.tx.senderId);
    return pendingReasonOf(this.admissions.has(hashHex), entry, queue);
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
   *
   * `from`: a client's tx (tx_submit) is refused MEMPOOL_FULL while the admission queue is full; a peer's
   * (the relay) is not. A peer relays only txs its own mempool admitted, which the network's next blocks
   * will hold: refused here, it is missing from every compact proposal that names it (a fetch, and its
   * signature checked on the height's critical path), and the sender's later nonces are refused behind
   * the gap it leaves (NONCE_TOO_HIGH), so one refusal cost a node every later tx of that sender until a
   * block filled the gap. Under 2,400 tx/s offered to 4 validators that cascade refused 6,000-28,000 of the
   * 45,000 relayed txs each node received, peers fetched whole blocks, blocks came every ~1.3 s, and the
   * chain never caught up. Peers' admissions in flight are bounded by the relay instead (in
   * all and per peer, in txs and bytes: TxRelayOptions), and they count in the queue, so clients meet
   * MEMPOOL_FULL first. "stranger": a peer not named in p2p.persistent_peers (the relay says so only when
   * some are named). Strangers' admissions are bounded by their own share of the relay's, and do not count
   * in the clients' queue: forgeries relayed under fresh stranger ids (each id's penalty lands after its
   * first failed check, and ids cost nothing) held 10,000 admissions, three times the queue of a node that
   * checks 13,000 a second, and every client was refused MEMPOOL_FULL.
   */
  add(signed: Uint8Array | DecodedTx, hash?: Uint8Array, from: "client" | "peer" | "stranger" = "client"): Promise<DecodedTx> {
    // Not an async function: an admission waits for its signature check, on a loaded node long enough for
    // whatever its frame holds to be promoted to the old generation, and an async frame holds every argument
    // and local it ever had (~430 bytes per tx, the promoted-allocation profile said). The checks before the
    // wait run here; the wait itself is two callbacks on the admission's promise.
    const queueRefuses = from === "client" && this.admissionQueueFull;
    let tx: DecodedTx;
    try {
      tx = this.decodedForAdmission(signed, hash, queueRefuses);
    } catch (err) {
      return Promise.reject(err);
    }
    const id = tx.id;
    const first = this.admissions.get(id);
    if (first !== undefined) return alreadyAdmitting(first, id);
    if (queueRefuses) {
      // A resend of a tx held here is told so (with room in the queue, admissionPlan says the same).
      if (this.byHash.has(id)) {
        return Promise.reject(new TxError("ALREADY_KNOWN", `transaction ${id} is already in the mempool`));
      }
      return Promise.reject(this.queueFullError());
    }
    const admission = this.admit(tx);
    this.admissions.set(id, admission);
    if (from !== "stranger") {
      return admission.then(
        () => this.admitted(tx),
        (err: unknown) => {
          this.admissions.delete(id);
          throw err;
        },
      );
    }
    this.strangersUnderWay++;
    return admission.then(
      () => {
        this.strangersUnderWay--;
        return this.admitted(tx);
      },
      (err: unknown) => {
        this.strangersUnderWay--;
        this.admissions.delete(id);
        throw err;
      },
    );
  }

  /** The tx of add's bytes, after the checks that need no state: size, the queue (on the hash alone), decoding. */
  private decodedForAdmission(
    signed: Uint8Array | DecodedTx,
    hash: Uint8Array | undefined,
    queueRefuses: boolean,
  ): DecodedTx {
    const bytes = signed instanceof Uint8Array ? signed : signed.bytes;
    const { maxTxBytes } = this.params;
    if (bytes.byteLength > maxTxBytes) {
      throw new TxError("TX_TOO_LARGE", `transaction is ${bytes.byteLength} bytes; the limit is ${maxTxBytes}`);
    }
    if (queueRefuses && signed instanceof Uint8Array) {
      // Refused on the hash alone, before decoding (the node has no time to spare, and this is the refusal a
      // client must back off on), unless these very bytes are held or being checked here: a resend gets
      // ALREADY_KNOWN, or the answer of the check under way, as it would with room in the queue.
      hash ??= txHash(bytes);
      const id = toHex(hash);
      if (!this.byHash.has(id) && !this.admissions.has(id)) throw this.queueFullError();
    }
    try {
      return signed instanceof Uint8Array ? decodeTx(bytes, hash) : signed;
    } catch (err) {
      if (err instanceof CodecError) throw new TxError("TX_MALFORMED", `transaction rejected: ${err.message}`);
      throw err;
    }
  }

  /** An admission decided for `tx`: it leaves the admissions under way, and the listeners hear of it. */
  private admitted(tx: DecodedTx): DecodedTx {
    this.admissions.delete(tx.id);
    for (const listener of this.admittedListeners) listener(tx);
    return tx;
  }

  private queueFullError(): TxError {
    return new TxError(
      "MEMPOOL_FULL",
      `the node is admitting ${this.underWay} transactions already, ${this.waitingForCheck} of them waiting` +
      ` for their signature check (about ${ADMISSION_QUEUE_MS} ms of work at most); try again shortly`,
    );
  }

  /**
   * Checks a decoded tx (statelessly, against the state, its signature, the state again) and inserts it. Not
   * an async function, for add's reason: the wait for the signature check is one callback (checked), which
   * holds what the second check needs.
   */
  private admit(tx: DecodedTx): Promise<void> {
    let seen: Account;
    let version: number;
    let next: number;
    let early: Admission | TxError;
    const id = tx.senderId;
    try {
      checkTxStateless(tx, this.deps.chainId, this.params);
      this.expire();
      seen = this.deps.account(tx.sender);
      version = this.version;
      // Predecessors still in flight count as present for this first check (see NoncesInFlight); only those
      // below this tx's nonce: a rival of the same nonce in flight (a forgery, say) must not make it a gap.
      next = this.nextNonce(id, seen, tx.body.nonce);
      early = admissionPlan(this, this.caps, tx, seen, next);
    } catch (err) {
      return Promise.reject(err);
    }
    if (early instanceof TxError) {
      if (early.code !== "NONCE_TOO_LOW") return Promise.reject(early);
      return this.explain(tx, early).then((refusal) => Promise.reject(refusal));
    }
    const plan = early;
    this.noncesInFlight.enter(id, tx.body.nonce);
    let check: Promise<boolean>;
    try {
      check = this.deps.verifier.verify(tx);
    } catch (err) {
      this.noncesInFlight.leave(id, tx.body.nonce);
      return Promise.reject(err);
    }
    return check.then(
      (verified) => this.checked(tx, verified, seen, version, next, plan),
      (err: unknown) => {
        this.noncesInFlight.leave(id, tx.body.nonce);
        throw err;
      },
    );
  }

  /**
   * After the signature check: the state or the pool may have moved meanwhile, so check again, then insert, with
   * no await in between. The check is skipped only when neither moved: the pool's version is the same, the
   * account is the very record read before (a committed change to it is a new record), and the first check did
   * not count on a predecessor in flight. The tx's nonce leaves the in-flight set here, or in refusedOnRecheck.
   */
  private checked(
    tx: DecodedTx,
    verified: boolean,
    seen: Account,
    version: number,
    next: number,
    plan: Admission,
  ): void | Promise<void> {
    const id = tx.senderId;
    let waits = false;
    try {
      this.queueLimit.counted();
      if (!verified) {
        throw new TxError("BAD_SIGNATURE", "signature does not match the transaction body and sender public key");
      }
      const account = this.deps.account(tx.sender);
      if (account === seen && this.version === version && next === this.nextNonce(id, seen)) {
        this.insert(tx, account, plan);
        return;
      }
      const late = admissionPlan(this, this.caps, tx, account, this.nextNonce(id, account));
      if (!(late instanceof TxError)) {
        this.insert(tx, account, late);
        return;
      }
      waits = true;
      return this.refusedOnRecheck(tx, account, late);
    } finally {
      if (!waits) this.noncesInFlight.leave(id, tx.body.nonce);
    }
  }

  /**
   * A checked tx refused on its second check (`refusal`): behind a gap only because an earlier nonce is still
   * being checked, it waits for that one and is checked again; otherwise the refusal stands, explained (which may
   * read the store). The rarer path, so the one async function of an admission.
   */
  private async refusedOnRecheck(tx: DecodedTx, account: Account, refusal: TxError): Promise<void> {
    const id = tx.senderId;
    try {
      for (;;) {
        const before = this.isGap(tx, account, refusal)
          ? this.firstInFlightBefore(id, account, tx.body.nonce)
          : undefined;
        if (before === undefined) throw await this.explain(tx, refusal);
        // Bounded: rivals for that nonce (forgeries of it) may keep it in flight as long as they keep coming.
        if (!(await settledWithin(before, PREDECESSOR_WAIT_MS))) throw refusal;
        account = this.deps.account(tx.sender);
        const late = admissionPlan(this, this.caps, tx, account, this.nextNonce(id, account));
        if (!(late instanceof TxError)) {
          this.insert(tx, account, late);
          return;
        }
        refusal = late;
      }
    } finally {
      this.noncesInFlight.leave(id, tx.body.nonce);
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
  private explain(tx: DecodedTx, refusal: TxError): Promise<TxError> {
    return explainRefusal((hash) => this.deps.includedAt(hash), tx, refusal);
  }
}

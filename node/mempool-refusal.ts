import { encodeAddress } from "../crypto/address.ts";
import type { Account } from "../proto/records.ts";
import type { DecodedTx } from "../proto/tx.ts";
import { TxError } from "../state/errors.ts";
import { msgSpend } from "../state/execute.ts";
import { txWork } from "../state/work.ts";
import { poolWeight } from "./pool-weight.ts";
import type { ByNonce } from "./nonce-slots.ts";
import { cheaperPerWeight, type Price } from "./cheapest-first.ts";
import {
  MAX_EVICTING_NONCE_AHEAD,
  MAX_EVICTIONS_PER_ADMISSION,
  type MempoolLimits,
  minReplacementFee,
  REPLACEMENT_FEE_BUMP_PERCENT,
} from "./mempool-limits.ts";

/** A pending tx as admission's rules see it. */
export interface PendingTx {
  readonly tx: DecodedTx;
  /** amount + fee: what it takes from its sender's balance. */
  readonly spend: bigint;
  /** txWork(tx). */
  readonly work: number;
  /** poolWeight of its bytes and work: what it takes of a full pool. */
  readonly weight: bigint;
}

/** What admission's rules read of the pool (the Mempool's own public view of itself). */
export interface PoolView {
  readonly size: number;
  readonly totalBytes: number;
  readonly totalWork: number;
  readonly gappedCount: number;
  has(hashHex: string): boolean;
  /**
   * The sender's pending txs: by nonce, their summed spend, and how many wait behind a gap. `id`: keyId(sender),
   * if known (DecodedTx.senderId).
   */
  pendingOf(
    sender: Uint8Array,
    id?: string,
  ): { byNonce: ByNonce<PendingTx>; spend: bigint; gapped: number } | undefined;
  /**
   * The highest-nonce pending txs of senders other than `exceptSender`, cheapest per byte first, at most
   * `count`: what a full pool may evict without leaving a nonce gap. Never a scan of the pool.
   */
  cheapestTips(count: number, exceptSender: Uint8Array): PendingTx[];
}

/** The pool's caps: its limits, and the most work held (maxWorkBlocks blocks at the chain's maxBlockWork). */
export interface PoolCaps {
  limits: MempoolLimits;
  maxWork: number;
}

/** What `tx` takes of a pool with these caps (node/pool-weight.ts). */
export function weightIn(caps: PoolCaps, tx: DecodedTx): bigint {
  const bytes = tx.bytes.byteLength;
  const work = txWork(tx);
  const last = lastWeight;
  if (last.caps === caps && last.bytes === bytes && last.work === work) return last.weight;
  const { maxTxs, maxBytes } = caps.limits;
  const weight = poolWeight({ maxTxs, maxBytes, maxWork: caps.maxWork }, bytes, work);
  lastWeight = { caps, bytes, work, weight };
  return weight;
}

/**
 * The last weight computed: txs of one kind have the same size and work (transfers: all of them), so most
 * admissions reuse it instead of eight BigInt products, and their entries share one BigInt rather than each
 * keeping its own for as long as it waits. A new caps object (new params) is a miss.
 */
let lastWeight: { caps: PoolCaps | undefined; bytes: number; work: number; weight: bigint } = {
  caps: undefined,
  bytes: -1,
  work: -1,
  weight: 0n,
};

/** How a tx is admitted: in place of its sender's pending tx of the same nonce, and evicting others to fit. */
export interface Admission {
  /** The pending tx of the same sender and nonce it replaces (it pays at least minReplacementFee of that one's). */
  replaces: PendingTx | undefined;
  /** Cheaper txs (per weight) it evicts from a full pool, each its sender's highest nonce. */
  evicts: readonly PendingTx[];
}

const NO_EVICTIONS: readonly PendingTx[] = Object.freeze([]);
/** The common plan (most admissions replace and evict nothing): one object for all of them. */
const JUST_INSERT: Admission = Object.freeze({ replaces: undefined, evicts: NO_EVICTIONS });

/**
 * How `tx` can be admitted against the sender's `account` and the pool, or why it cannot (a TxError).
 * Synchronous and cheap: the rules are checked in order of cost, so most refusals are made before the
 * signature check. `next`: the first nonce missing from the sender's pending run.
 */
export function admissionPlan(
  pool: PoolView,
  caps: PoolCaps,
  tx: DecodedTx,
  account: Account,
  next: number,
): Admission | TxError {
  const limits = caps.limits;
  if (pool.has(tx.id)) return new TxError("ALREADY_KNOWN", `transaction ${tx.id} is already in the mempool`);
  const nonce = tx.body.nonce;
  // The sender's address is formatted (encodeAddress) only in the refusal that names it: this runs per admission.
  if (nonce < account.nonce) {
    return new TxError("NONCE_TOO_LOW", `nonce ${account.nonce} expected, got ${nonce} (already used by ${encodeAddress(tx.sender)})`, {
      expected: account.nonce,
      got: nonce,
    });
  }
  if (nonce >= account.nonce + limits.maxPerSender) {
    return new TxError(
      "NONCE_TOO_HIGH",
      `nonce ${nonce} is too far ahead: ${encodeAddress(tx.sender)} is at nonce ${account.nonce}, at most ${limits.maxPerSender} may be pending`,
      { expected: account.nonce, got: nonce },
    );
  }
  const queue = pool.pendingOf(tx.sender, tx.senderId);
  const replaces = queue?.byNonce.get(nonce);
  if (replaces !== undefined) {
    const least = minReplacementFee(replaces.tx.body.fee);
    if (tx.body.fee < least) {
      return new TxError(
        "NONCE_PENDING",
        `a transaction from ${encodeAddress(tx.sender)} with nonce ${nonce} is already pending (${replaces.tx.id}, fee ` +
        `${replaces.tx.body.fee}); to replace it, pay a fee of at least ${least} ` +
        `(+${REPLACEMENT_FEE_BUMP_PERCENT}%)`,
        { pending: replaces.tx.id, pendingFee: replaces.tx.body.fee.toString(), minReplacementFee: least.toString() },
      );
    }
  } else {
    if (queue !== undefined && queue.byNonce.size >= limits.maxPerSender) {
      return new TxError("SENDER_QUEUE_FULL", `${encodeAddress(tx.sender)} already has ${queue.byNonce.size} pending transactions`);
    }
    const gapsFull = (queue?.gapped ?? 0) >= limits.maxGappedPerSender || pool.gappedCount >= limits.maxGappedTotal;
    if (nonce !== next && gapsFull) {
      return new TxError(
        "NONCE_TOO_HIGH",
        `nonce ${nonce} leaves a gap: ${encodeAddress(tx.sender)} needs nonce ${next} first (too many transactions already wait behind gaps)`,
        { expected: next, got: nonce },
      );
    }
  }
  const spend = msgSpend(tx.body.msg) + tx.body.fee;
  const held = queue?.spend ?? 0n;
  const pending = replaces === undefined ? held : held - replaces.spend;
  if (account.balance < pending + spend) {
    return new TxError(
      "INSUFFICIENT_FUNDS",
      `insufficient funds: ${encodeAddress(tx.sender)} has ${account.balance}, pending transactions spend ${pending}, this one needs ${spend} (amount + fee)`,
    );
  }
  // Room: what the pool holds with this tx in, less what it replaces.
  let count = pool.size + 1;
  let bytes = pool.totalBytes + tx.bytes.byteLength;
  let work = pool.totalWork + txWork(tx);
  if (replaces !== undefined) {
    count--;
    bytes -= replaces.tx.bytes.byteLength;
    work -= replaces.work;
  }
  if (count <= limits.maxTxs && bytes <= limits.maxBytes && work <= caps.maxWork) {
    return replaces === undefined ? JUST_INSERT : { replaces, evicts: NO_EVICTIONS };
  }
  return makeRoom(pool, caps, tx, evictRight(nonce, account, next), { count, bytes, work }, replaces);
}

/**
 * Whether a tx of this nonce may evict others, or why not. It must be executable: the next nonce of its
 * sender's contiguous run, or a replacement inside that run (nonce < next); a replacement of a tx behind a gap
 * may never run, and so never pay. And it must be near its sender's account nonce (MAX_EVICTING_NONCE_AHEAD).
 */
function evictRight(nonce: number, account: Account, next: number): string | undefined {
  if (nonce > next) return " (a transaction behind a nonce gap evicts nothing)";
  if (nonce >= account.nonce + MAX_EVICTING_NONCE_AHEAD) {
    return ` (only the ${MAX_EVICTING_NONCE_AHEAD} nonces after the account's ${account.nonce} may evict others)`;
  }
  return undefined;
}

/**
 * A full pool: the cheapest senders' last txs that `tx` may evict until `held` (the pool's count, bytes and
 * work with `tx` in) is within the caps, if they pay less per weight than it (weightIn: per the cap that
 * binds) and their fees sum to no more than its fee (an evictor pays for what it evicts), at most
 * MAX_EVICTIONS_PER_ADMISSION of them. `refused`: why this tx may evict nothing (evictRight), if so.
 */
function makeRoom(
  pool: PoolView,
  caps: PoolCaps,
  tx: DecodedTx,
  refused: string | undefined,
  held: { count: number; bytes: number; work: number },
  replaces: PendingTx | undefined,
): Admission | TxError {
  const full = (why: string) =>
    new TxError("MEMPOOL_FULL", `the mempool is full${why}; try again after the next block`);
  if (refused !== undefined) return full(refused);
  // Under overload most newcomers pay no more than the cheapest: one look at the top of the index refuses them.
  const price: Price = { fee: tx.body.fee, weight: weightIn(caps, tx) };
  const [cheapest] = pool.cheapestTips(1, tx.sender);
  if (cheapest === undefined) return full("");
  if (!outbids(price, cheapest)) {
    const [f, b] = [cheapest.tx.body.fee, cheapest.tx.bytes.byteLength];
    return full(` and its cheapest evictable tx pays as much for its room (fee ${f} for ${b} bytes) or more`);
  }
  const { limits, maxWork } = caps;
  let { count, bytes, work } = held;
  let fees = 0n;
  const evicts: PendingTx[] = [];
  for (const c of pool.cheapestTips(MAX_EVICTIONS_PER_ADMISSION, tx.sender)) {
    if (!outbids(price, c) || fees + c.tx.body.fee > tx.body.fee) break;
    evicts.push(c);
    fees += c.tx.body.fee;
    count--;
    bytes -= c.tx.bytes.byteLength;
    work -= c.work;
    if (count <= limits.maxTxs && bytes <= limits.maxBytes && work <= maxWork) return { replaces, evicts };
  }
  return full(
    `: evicting the ${evicts.length} txs paying less for their room than this one (fees summing to no more ` +
    `than its fee) would not make room`,
  );
}

/** Whether a newcomer at `price` may evict `victim`: it pays more per weight, and at least the victim's fee. */
export function outbids(price: Price, victim: PendingTx): boolean {
  return cheaperPerWeight({ fee: victim.tx.body.fee, weight: victim.weight }, price) && victim.tx.body.fee <= price.fee;
}

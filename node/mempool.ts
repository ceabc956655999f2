import { encodeAddress } from "../crypto/address.ts";
import { CodecError } from "../proto/codec.ts";
import type { Account } from "../proto/records.ts";
import { type DecodedTx, decodeTx } from "../proto/tx.ts";
import { TxError } from "../state/errors.ts";
import { checkTxStateless, msgSpend } from "../state/execute.ts";
import type { ChainParams } from "../state/params.ts";
import { keyId } from "../state/view.ts";
import type { TxVerifier } from "./tx-verifier.ts";

export interface MempoolLimits {
  /** Most transactions held. */
  maxTxs: number;
  /** Most transaction bytes held. */
  maxBytes: number;
  /** Most pending transactions per sender; also how far ahead of the account's nonce a tx may be. */
  maxPerSender: number;
  /** Blocks a transaction may wait; older ones (e.g. stuck behind a nonce gap) are dropped. */
  ttlBlocks: number;
  /**
   * Transactions that cannot execute yet because an earlier nonce is missing pay no fee while they wait, so
   * they are capped: per sender, and in total (a share of maxTxs), leaving room for executable ones.
   */
  maxGappedPerSender: number;
  maxGappedTotal: number;
}

export const DEFAULT_MEMPOOL_LIMITS: MempoolLimits = {
  maxTxs: 100_000,
  maxBytes: 64 * 1024 * 1024,
  maxPerSender: 1_000,
  ttlBlocks: 300,
  maxGappedPerSender: 64,
  maxGappedTotal: 10_000,
};

export interface MempoolDeps {
  chainId: string;
  params: ChainParams;
  verifier: TxVerifier;
  /** The sender's account in the latest committed state. */
  account(address: Uint8Array): Account;
  /** Height at which a tx hash was included, if it was. */
  includedAt(hash: Uint8Array): Promise<number | undefined>;
}

interface Entry {
  tx: DecodedTx;
  /** amount + fee: what the tx takes from the sender's balance. */
  spend: bigint;
  /** Number of blocks committed when it was admitted (for the TTL). */
  admittedAt: number;
}

interface SenderQueue {
  address: Uint8Array;
  byNonce: Map<number, Entry>;
  /** Sum of `spend` over byNonce. */
  spend: bigint;
  /** The account nonce when the run was last counted, and the first missing nonce after it. */
  base: number;
  runEnd: number;
  /** Entries beyond runEnd: waiting behind a gap. */
  gapped: number;
}

/**
 * Pending transactions, checked on admission (decode, canonical form, size, chain id, fee, nonce, balance
 * covering every pending spend of the sender, signature) and kept per sender by nonce. Proposals take
 * executable txs (contiguous nonces from the account's) round-robin across senders; a committed block
 * evicts what it included and whatever it made invalid.
 */
export class Mempool {
  private readonly limits: MempoolLimits;
  private readonly deps: MempoolDeps;
  private readonly byHash = new Map<string, Entry>();
  private readonly senders = new Map<string, SenderQueue>();
  private bytes = 0;
  private gappedTotal = 0;
  /** Blocks seen by update(): the mempool's clock for the TTL. */
  private blocks = 0;
  private readonly admittedListeners: ((tx: DecodedTx) => void)[] = [];

  constructor(limits: MempoolLimits, deps: MempoolDeps) {
    this.limits = limits;
    this.deps = deps;
  }

  get size(): number {
    return this.byHash.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  has(hashHex: string): boolean {
    return this.byHash.has(hashHex);
  }

  /** The decoded transaction with this hash, if it is waiting here. */
  get(hashHex: string): DecodedTx | undefined {
    return this.byHash.get(hashHex)?.tx;
  }

  /** Calls `listener` with every transaction admitted from now on (the relay sends them to peers). */
  onAdmitted(listener: (tx: DecodedTx) => void): void {
    this.admittedListeners.push(listener);
  }

  /** Admits signed-tx bytes or throws TxError saying why not. `hash`: txHash(bytes), if already known. */
  async add(bytes: Uint8Array, hash?: Uint8Array): Promise<DecodedTx> {
    const { params } = this.deps;
    if (bytes.byteLength > params.maxTxBytes) {
      throw new TxError(
        "TX_TOO_LARGE",
        `transaction is ${bytes.byteLength} bytes; the limit is ${params.maxTxBytes}`,
      );
    }
    let tx: DecodedTx;
    try {
      tx = decodeTx(bytes, hash);
    } catch (err) {
      if (err instanceof CodecError)
        throw new TxError("TX_MALFORMED", `transaction rejected: ${err.message}`);
      throw err;
    }
    checkTxStateless(tx, this.deps.chainId, params);
    await this.checkAgainstState(tx);
    if (!(await this.deps.verifier.verify(tx))) {
      throw new TxError(
        "BAD_SIGNATURE",
        "signature does not match the transaction body and sender public key",
      );
    }
    // The state may have moved while the signature was checked on another thread: check again, then insert.
    await this.checkAgainstState(tx);
    this.insert(tx);
    for (const listener of this.admittedListeners) listener(tx);
    return tx;
  }

  private async checkAgainstState(tx: DecodedTx): Promise<void> {
    const hash = tx.id;
    if (this.byHash.has(hash))
      throw new TxError("ALREADY_KNOWN", `transaction ${hash} is already in the mempool`);
    const account = this.deps.account(tx.sender);
    const nonce = tx.body.nonce;
    const who = { toString: () => encodeAddress(tx.sender) }; // formatted only if a message needs it
    if (nonce < account.nonce) {
      const height = await this.deps.includedAt(tx.hash);
      if (height !== undefined) {
        throw new TxError(
          "ALREADY_INCLUDED",
          `transaction ${hash} was already included at height ${height}`,
          {
            height,
          },
        );
      }
      throw new TxError(
        "NONCE_TOO_LOW",
        `nonce ${account.nonce} expected, got ${nonce} (already used by ${who})`,
        {
          expected: account.nonce,
          got: nonce,
        },
      );
    }
    if (nonce >= account.nonce + this.limits.maxPerSender) {
      throw new TxError(
        "NONCE_TOO_HIGH",
        `nonce ${nonce} is too far ahead: ${who} is at nonce ${account.nonce}, at most ${this.limits.maxPerSender} may be pending`,
        { expected: account.nonce, got: nonce },
      );
    }
    const queue = this.senders.get(keyId(tx.sender));
    if (queue?.byNonce.has(nonce)) {
      throw new TxError("NONCE_PENDING", `a transaction from ${who} with nonce ${nonce} is already pending`);
    }
    if (queue !== undefined && queue.byNonce.size >= this.limits.maxPerSender) {
      throw new TxError("SENDER_QUEUE_FULL", `${who} already has ${queue.byNonce.size} pending transactions`);
    }
    const next = queue?.runEnd ?? account.nonce;
    const gapsFull =
      (queue?.gapped ?? 0) >= this.limits.maxGappedPerSender || this.gappedTotal >= this.limits.maxGappedTotal;
    if (nonce !== next && gapsFull) {
      throw new TxError(
        "NONCE_TOO_HIGH",
        `nonce ${nonce} leaves a gap: ${who} needs nonce ${next} first (too many transactions already wait behind gaps)`,
        { expected: next, got: nonce },
      );
    }
    const spend = msgSpend(tx.body.msg) + tx.body.fee;
    const pending = queue?.spend ?? 0n;
    if (account.balance < pending + spend) {
      throw new TxError(
        "INSUFFICIENT_FUNDS",
        `insufficient funds: ${who} has ${account.balance}, pending transactions spend ${pending}, this one needs ${spend} (amount + fee)`,
      );
    }
    if (this.byHash.size >= this.limits.maxTxs || this.bytes + tx.bytes.byteLength > this.limits.maxBytes) {
      throw new TxError("MEMPOOL_FULL", "the mempool is full; try again after the next block");
    }
  }

  private insert(tx: DecodedTx): void {
    const id = keyId(tx.sender);
    let queue = this.senders.get(id);
    if (queue === undefined) {
      const base = this.deps.account(tx.sender).nonce;
      queue = { address: tx.sender, byNonce: new Map(), spend: 0n, base, runEnd: base, gapped: 0 };
      this.senders.set(id, queue);
    }
    const entry: Entry = { tx, spend: msgSpend(tx.body.msg) + tx.body.fee, admittedAt: this.blocks };
    queue.byNonce.set(tx.body.nonce, entry);
    queue.spend += entry.spend;
    this.byHash.set(tx.id, entry);
    this.bytes += tx.bytes.byteLength;
    if (tx.body.nonce === queue.runEnd) {
      while (queue.byNonce.has(queue.runEnd)) queue.runEnd++;
    }
    this.setGapped(queue, queue.byNonce.size - (queue.runEnd - queue.base));
  }

  private setGapped(queue: SenderQueue, gapped: number): void {
    this.gappedTotal += gapped - queue.gapped;
    queue.gapped = gapped;
  }

  /** Recounts a sender's executable run from its account nonce (after a block or a removal). */
  private recount(queue: SenderQueue): void {
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
   */
  reap(maxTxs: number, maxBytes: number): DecodedTx[] {
    const lanes: DecodedTx[][] = [];
    for (const queue of this.senders.values()) {
      const lane: DecodedTx[] = [];
      let nonce = this.deps.account(queue.address).nonce;
      for (let e = queue.byNonce.get(nonce); e !== undefined; e = queue.byNonce.get(++nonce)) lane.push(e.tx);
      if (lane.length > 0) lanes.push(lane);
    }
    const out: DecodedTx[] = [];
    let bytes = 0;
    for (let round = 0; lanes.length > 0; round++) {
      let any = false;
      for (const lane of lanes) {
        const tx = lane[round];
        if (tx === undefined) continue;
        if (out.length >= maxTxs || bytes + tx.bytes.byteLength > maxBytes) return out;
        out.push(tx);
        bytes += tx.bytes.byteLength;
        any = true;
      }
      if (!any) break;
    }
    return out;
  }

  /** Drops one transaction (e.g. a proposer found it no longer executes). */
  remove(tx: DecodedTx): void {
    const id = keyId(tx.sender);
    const queue = this.senders.get(id);
    const entry = queue?.byNonce.get(tx.body.nonce);
    if (queue === undefined || entry === undefined || entry.tx.id !== tx.id) return;
    this.drop(queue, id, tx.body.nonce, entry);
    this.recount(queue);
  }

  /**
   * After a block: removes what it included, then re-checks every sender it touched against the new state,
   * dropping used nonces and any tx the sender's balance can no longer cover (with all later nonces, which
   * could never execute without it). Finally drops whatever has waited longer than the TTL, so nonce gaps
   * cannot pin mempool space forever.
   */
  update(committed: readonly DecodedTx[]): void {
    this.blocks++;
    const touched = new Set<string>();
    for (const tx of committed) touched.add(keyId(tx.sender));
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
          this.drop(queue, id, nonce, entry);
          continue;
        }
        cumulative += entry.spend;
        if (broken || cumulative > account.balance) {
          broken = true;
          this.drop(queue, id, nonce, entry);
        }
      }
      this.recount(queue);
    }
    const expired = this.blocks - this.limits.ttlBlocks;
    if (expired > 0) {
      for (const [id, queue] of this.senders) {
        let dropped = false;
        for (const [nonce, entry] of queue.byNonce) {
          if (entry.admittedAt < expired) {
            this.drop(queue, id, nonce, entry);
            dropped = true;
          }
        }
        if (dropped) this.recount(queue);
      }
    }
  }

  private drop(queue: SenderQueue, id: string, nonce: number, entry: Entry): void {
    queue.byNonce.delete(nonce);
    queue.spend -= entry.spend;
    this.byHash.delete(entry.tx.id);
    this.bytes -= entry.tx.bytes.byteLength;
    if (queue.byNonce.size === 0) {
      this.senders.delete(id);
      this.setGapped(queue, 0);
    }
  }
}

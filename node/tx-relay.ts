import type { Logger } from "pino";
import { toHex } from "../crypto/bytes.ts";
import { Gossip, PeerFlooding } from "../p2p/gossip.ts";
import { ByteBudget } from "../p2p/byte-budget.ts";
import { CodecError } from "../proto/codec.ts";
import { strangerTest } from "../p2p/per-second-counts.ts";
import { RecentStrangers, StrangerShares } from "../p2p/stranger-shares.ts";
import type { P2pHost } from "../p2p/host.ts";
import { decodeTxBatch, encodeTxBatch, MAX_TX_BATCH_BYTES, MAX_TX_BATCH_COUNT, txBatchEntryBytes } from "../proto/p2p.ts";
import { type DecodedTx, decodeTx, txHash } from "../proto/tx.ts";
import { TxError, type TxErrorCode } from "../state/errors.ts";
import type { Mempool } from "./mempool.ts";
import { RecentTxIds, TxIdTable } from "./tx-id-table.ts";

/** Refusals no honest relay causes: it relays only what its own mempool admitted. */
const PEER_FAULTS = new Set<TxErrorCode>(["TX_TOO_LARGE", "TX_MALFORMED", "WRONG_CHAIN_ID", "BAD_SIGNATURE", "INVALID_MSG"]);

/**
 * Refusals that hold for these bytes forever (or, for ALREADY_KNOWN, while the tx waits here): a copy from
 * another peer is dropped unchecked. Any other refusal depends on the moment (mempool full, a nonce held
 * by a rival that may be dropped, funds not yet arrived, an earlier nonce missing), so a later copy is
 * taken again; it costs a decode and the state checks, not a signature check, which those refusals precede
 * or which the verifier remembers.
 */
const FINAL_REFUSALS = new Set<TxErrorCode>([...PEER_FAULTS, "NONCE_TOO_LOW", "ALREADY_INCLUDED", "ALREADY_KNOWN"]);

export const TX_PROTOCOL = "/opl/txs/1";

/**
 * Transaction gossip: every transaction our mempool admits from a client goes to every peer, many per
 * message. Only admitted transactions are relayed, so an invalid one stops at the first node. Transactions
 * admitted from a peer go on to our other peers only if `relayPeerTxs` is set (p2p.relay_peer_txs): in a
 * network whose validators peer with each other directly, one hop reaches them all, and relaying again
 * made every node receive every transaction once per peer, the largest cost of a 4-validator devnet under
 * load. A bounded cache of recently seen hashes (relayed, admitted, or refused for good: see FINAL_REFUSALS)
 * drops copies before any decoding or signature check, and a bound on admissions in flight sheds load
 * instead of memory.
 */
export interface TxRelayOptions {
  /** Send a batch once it holds this many transactions... */
  batchTxs: number;
  /** ...or this many bytes... */
  batchBytes: number;
  /**
   * ...or this long after its first transaction. Each message costs the same whatever it holds (framing,
   * encryption, a socket write per peer; a read, a decryption and a verify-pool message at the other end), so
   * a node's share of a load goes in few messages: at 500 tx/s (a node's clients' share of 2,000 offered to 4
   * validators), 20 ms (~10 txs a message) cost 1.42-1.96 verifies of CPU per relayed tx, 50 ms 1.06-1.49,
   * 100 ms 0.87-1.05 (`npx node test/bench/relay-cpu.ts`, both hosts, loaded machine). 50 ms is short next to
   * the 1 s block interval: a tx admitted in the last 50 ms before a proposal is fetched with it.
   */
  flushMs: number;
  /**
   * Hashes remembered to drop copies before any decoding. An entry costs ~140 bytes (its id, ~80, ~52 of
   * node/tx-id-table.ts's table and ring, as a Set's entry: measured over 50,000, and ~10 off the heap, its
   * packed hashes), so the default 50,000 is ~7 MB (200,000 before: ~22 MB, full after 100 s at 2,000 tx/s): 25 s
   * of such a load, far longer than a copy takes to arrive. A copy arriving later is refused by the mempool
   * (ALREADY_KNOWN, NONCE_TOO_LOW) after a decode, without a signature check.
   */
  seenCacheSize: number;
  /**
   * Peers' txs being admitted at once, all peers together, and their bytes; beyond either a peer's tx is
   * shed (not marked seen: a later copy may still be taken). The bound on the signature checks and memory
   * peers can queue here, since a full admission queue refuses clients, not peers (Mempool.add): 20,000 is
   * ~1.5 s of one core's verifies, 16 MiB ~95,000 transfers (a peer filling it with 16 KiB txs holds 1,024).
   */
  maxInFlight: number;
  maxInFlightBytes: number;
  /**
   * One peer's txs being admitted at once: a peer sending forgeries (each costs a check before its penalty
   * lands, once per batch) takes at most this share of the checks, and the others' txs still get in. One
   * batch of the protocol's most txs (MAX_TX_BATCH_COUNT, ~375 ms of one core's verifies) fits, so an honest
   * peer's batch reaching an idle node is never cut; an honest peer sends at most batchTxs (2,000) a batch.
   */
  maxInFlightPerPeer: number;
  /**
   * The peers named in p2p.persistent_peers. When there are any, all other peers' (strangers') txs being
   * admitted at once take at most STRANGERS_IN_FLIGHT_SHARE of maxInFlight and of maxInFlightBytes together,
   * so that forgeries sent under any number of stranger ids (each id costs a batch of checks before its
   * penalty lands, and ids cost nothing) hold at most that share of the checks and bytes in flight, and the
   * named peers' txs still get in. The share is split among the strangers that sent batches in the last few
   * seconds (p2p/stranger-shares.ts RecentStrangers): two ids holding one batch each no longer hold it all,
   * and an honest stranger (a full node relaying its clients' txs) gets its part.
   */
  persistentPeers: ReadonlySet<string>;
  maxBatchesPerSecond: number;
  /** Relay transactions that came from peers on to other peers (multi-hop topologies). */
  relayPeerTxs: boolean;
  /**
   * The clock (ms) whose seconds tell which strangers sent batches lately, and refill the entries budgets
   * (TX_ENTRIES_PER_SECOND). Default: a monotonic clock.
   */
  now?: () => number;
}

export const DEFAULT_TX_RELAY: TxRelayOptions = {
  batchTxs: 2000,
  batchBytes: 1024 * 1024,
  flushMs: 50,
  seenCacheSize: 50_000,
  maxInFlight: 20_000,
  maxInFlightBytes: 16 * 1024 * 1024,
  maxInFlightPerPeer: MAX_TX_BATCH_COUNT,
  persistentPeers: new Set(),
  maxBatchesPerSecond: 200,
  relayPeerTxs: false,
};

/** Strangers' share of the relay's admissions in flight, in txs and in bytes: half (10,000 txs, 8 MiB by default). */
export const STRANGERS_IN_FLIGHT_SHARE = 0.5;

/**
 * Batch entries a peer's batches may hold a second, and all strangers' together (when peers are named
 * persistent: split among the strangers sending, p2p/stranger-shares.ts), counted from a batch's count before
 * any entry is hashed or decoded; a batch past either is shed whole, unread, and a peer sending
 * TX_ENTRIES_FLOOD_FACTOR times as many is penalised for flooding. Every entry costs work before it can be
 * refused: a copy of a tx seen already costs a sha256 and a lookup (~1.6 us), and the gossip layer lets a
 * peer send 200 batches of MAX_TX_BATCH_COUNT a second, so one peer's copies took ~1.6 s of the main thread a
 * second, never charged. 20,000 a second is ~32 ms of that, and more txs than a node of this chain admits
 * (and so relays) a second on this 2-core machine (~13,000 verifies a core; a node on more cores may admit
 * more, and its peers then shed the excess, which compact proposals fetch); the burst holds four of the
 * protocol's largest batches. In the 4-validator bench a peer relays at most ~1,000 a second.
 */
export const TX_ENTRIES_PER_SECOND = { bytesPerSecond: 20_000, burstBytes: 4 * MAX_TX_BATCH_COUNT };
/** A peer's batch entries past this many times TX_ENTRIES_PER_SECOND (rate and burst) are flooding. */
export const TX_ENTRIES_FLOOD_FACTOR = 3;

export class TxRelay {
  private readonly mempool: Mempool;
  private readonly log: Logger;
  private readonly onMisbehaviour: (peer: string, reason: string, flooding: boolean) => void;
  private readonly o: TxRelayOptions;
  private gossip: Gossip | undefined;
  private readonly seen: RecentTxIds;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private inFlightBytes = 0;
  /** Of inFlight and inFlightBytes, strangers' (counted only when some peers are named persistent). */
  private strangersInFlight = 0;
  private strangersInFlightBytes = 0;
  private readonly isStranger: (peer: string) => boolean;
  /** Txs being admitted and their bytes, by the peer that sent them. */
  private readonly inFlightBy = new Map<string, { txs: number; bytes: number }>();
  /** Strangers that sent a batch lately: the strangers' share is split among them. */
  private readonly recentStrangers: RecentStrangers;
  /** Batch entries each peer, and all strangers together, may send (TX_ENTRIES_PER_SECOND), and flood past. */
  private readonly entries: ByteBudget;
  private readonly strangersEntries: StrangerShares;
  private readonly floodEntries: ByteBudget;
  /** Hashes being admitted from a peer right now: the admission listener must not relay them (one hop). */
  private readonly fromPeer = new TxIdTable<true>();
  /** Counters for the operator (node_getStatus could show them). */
  /** `dropped`: txs not admitted because the mempool was full and they could not get in (Mempool.mightEnter). */
  /** `batchesShed`: whole batches shed unread, past TX_ENTRIES_PER_SECOND (their txs count in `shed` too). */
  readonly stats = { relayed: 0, received: 0, duplicates: 0, refused: 0, shed: 0, dropped: 0, batchesShed: 0 };

  private constructor(
    mempool: Mempool,
    log: Logger,
    o: TxRelayOptions,
    onMisbehaviour: (peer: string, reason: string, flooding: boolean) => void,
  ) {
    this.onMisbehaviour = onMisbehaviour;
    this.mempool = mempool;
    this.log = log;
    this.o = o;
    this.seen = new RecentTxIds(o.seenCacheSize);
    this.isStranger = strangerTest(o.persistentPeers);
    this.recentStrangers = new RecentStrangers(o.now);
    this.entries = new ByteBudget({ ...TX_ENTRIES_PER_SECOND, now: o.now });
    const { bytesPerSecond: share, burstBytes: cap } = TX_ENTRIES_PER_SECOND;
    this.strangersEntries = new StrangerShares({ share, cap }, o.now, this.recentStrangers);
    this.floodEntries = new ByteBudget({
      bytesPerSecond: TX_ENTRIES_FLOOD_FACTOR * share,
      burstBytes: TX_ENTRIES_FLOOD_FACTOR * cap,
      now: o.now,
    });
  }

  static async start(
    host: P2pHost,
    mempool: Mempool,
    log: Logger,
    onMisbehaviour: (peer: string, reason: string, flooding: boolean) => void,
    options: Partial<TxRelayOptions> = {},
  ): Promise<TxRelay> {
    const relay = new TxRelay(mempool, log, { ...DEFAULT_TX_RELAY, ...options }, onMisbehaviour);
    relay.gossip = await Gossip.start(
      host,
      {
        protocol: TX_PROTOCOL,
        maxMessageBytes: MAX_TX_BATCH_BYTES,
        maxQueuedBytes: 8 * 1024 * 1024, // two full batches and more: a peer that lags further loses txs, not us memory
        maxMessagesPerSecond: relay.o.maxBatchesPerSecond,
        persistentPeers: relay.o.persistentPeers,
        onMessage: (peer, bytes) => relay.onBatch(peer, bytes),
        onMisbehaviour,
      },
      log,
    );
    mempool.onAdmitted((tx) => {
      // With no peer to send to (a lone validator, or every peer gone), the tx is neither batched nor
      // remembered: the batch would be encoded for nobody, and a lone validator under load kept 50,000 hashes
      // (~6 MB of strings marked by every full GC) and spent ~2% of its main thread on the seen cache. A tx
      // admitted while no stream is open is not sent once one opens (before, one admitted in the last flushMs
      // before it opened still went in that batch): a validator's reaches peers in its own proposal (their
      // fetch); a non-validator's stays unsent in its mempool until it expires, as did any tx admitted earlier.
      if (relay.gossip?.peerCount === 0) return;
      const hash = tx.id;
      if (relay.o.relayPeerTxs || !relay.fromPeer.has(hash)) relay.enqueue(tx.bytes, hash);
    });
    return relay;
  }

  /** Peers the relay sends to now (each with an open stream). */
  get peerCount(): number {
    return this.gossip?.peerCount ?? 0;
  }

  /** Hashes remembered to drop copies unread (at most seenCacheSize). */
  get remembered(): number {
    return this.seen.size;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.gossip?.stop();
  }

  private enqueue(bytes: Uint8Array, hash: string): void {
    this.seen.add(hash);
    // Counted as encoded (each tx with its length prefix), the size the receiver checks against the limit.
    const entry = txBatchEntryBytes(bytes);
    if (this.pending.length >= MAX_TX_BATCH_COUNT || this.pendingBytes + entry > MAX_TX_BATCH_BYTES) this.flush();
    this.pending.push(bytes);
    this.pendingBytes += entry;
    if (this.pending.length >= this.o.batchTxs || this.pendingBytes >= this.o.batchBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.o.flushMs);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if ((this.gossip?.broadcast(encodeTxBatch(batch)) ?? 0) > 0) this.stats.relayed += batch.length;
  }

  /** A peer's tx left admission (admitted or refused): it no longer counts in flight. */
  private admissionDone(peer: string, stranger: boolean, hash: string, bytes: number): void {
    this.inFlight--;
    if (stranger) {
      this.strangersInFlight--;
      this.strangersInFlightBytes -= bytes;
    }
    this.inFlightBytes -= bytes;
    const ofPeer = this.inFlightBy.get(peer);
    if (ofPeer !== undefined) {
      ofPeer.txs--;
      ofPeer.bytes -= bytes;
      if (ofPeer.txs <= 0) this.inFlightBy.delete(peer);
    }
    this.fromPeer.delete(hash);
  }

  /** A batch from a peer: new transactions go to the mempool (and, once admitted, on to our other peers). */
  private onBatch(peer: string, bytes: Uint8Array): void {
    const txs = decodeTxBatch(bytes); // throws on a malformed batch: the peer is penalised
    let blamed = false; // once per batch, however many bad txs it holds
    const stranger = this.isStranger(peer);
    if (!this.floodEntries.charge(peer, txs.length)) {
      const most = TX_ENTRIES_FLOOD_FACTOR * TX_ENTRIES_PER_SECOND.bytesPerSecond;
      throw new PeerFlooding(`more than ${most} relayed transactions a second`);
    }
    // A stranger counts among those the strangers' shares are split among, whatever becomes of its batch (a
    // stranger whose txs were all shed still counts, or the ids that keep a share full would keep it for good).
    if (stranger) this.recentStrangers.saw(peer);
    if (!this.entries.charge(peer, txs.length) || (stranger && !this.strangersEntries.take(peer, txs.length))) {
      this.stats.received += txs.length;
      this.stats.shed += txs.length; // unread: not marked seen, a later copy may still be taken
      if (this.stats.batchesShed++ % 100 === 0) {
        this.log.warn({ peer, batchesShed: this.stats.batchesShed }, "relayed batches shed: past TX_ENTRIES_PER_SECOND");
      }
      return;
    }
    const strangersTxs = STRANGERS_IN_FLIGHT_SHARE * this.o.maxInFlight;
    const strangersBytes = STRANGERS_IN_FLIGHT_SHARE * this.o.maxInFlightBytes;
    // A stranger's part of the strangers' in-flight share: the share over the strangers that sent batches
    // lately, itself included. At least one tx in flight, if the share has room.
    const partTxs = stranger ? Math.max(1, Math.floor(this.recentStrangers.part(strangersTxs))) : Infinity;
    const partBytes = stranger ? this.recentStrangers.part(strangersBytes) : Infinity;
    for (const tx of txs) {
      this.stats.received++;
      // A mempool full on its caps refuses most txs MEMPOOL_FULL: under overload every admitted tx reaches
      // every full peer, and those refusals were two thirds of a node's. So while it is full, a peer's tx is
      // read only as far as one cheap look (Mempool.mightEnter): a fee bump of a pending tx, or a tx outbidding
      // the cheapest evictable one, still gets in, and on (fee bumps matter most under congestion); the rest is
      // dropped before any signature check. Not marked seen: if a block needs it, the compact proposal's fetch
      // brings it. A full admission queue refuses clients, not peers (Mempool.add).
      let decoded: DecodedTx | undefined;
      if (this.mempool.fullForPeers) {
        decoded = decodedOrRefused(tx);
        if (!this.mempool.mightEnter(decoded)) {
          this.stats.dropped++;
          continue;
        }
      }
      const digest = decoded?.hash ?? txHash(tx);
      const hash = decoded?.id ?? toHex(digest);
      if (this.seen.has(hash) || this.fromPeer.has(hash)) {
        this.stats.duplicates++;
        continue;
      }
      const ofPeer = this.inFlightBy.get(peer);
      const peerTxs = ofPeer?.txs ?? 0;
      const peerBytes = ofPeer?.bytes ?? 0;
      if (
        this.inFlight >= this.o.maxInFlight ||
        peerTxs >= this.o.maxInFlightPerPeer ||
        (stranger && this.strangersInFlight >= strangersTxs) ||
        (stranger && this.strangersInFlightBytes + tx.byteLength > strangersBytes) ||
        (stranger && (peerTxs >= partTxs || (peerBytes > 0 && peerBytes + tx.byteLength > partBytes))) ||
        this.inFlightBytes + tx.byteLength > this.o.maxInFlightBytes
      ) {
        this.stats.shed++; // not marked seen: a later copy may still be taken
        continue;
      }
      // The mempool's tx in bytes of its own: `tx` is a view into the peer's whole message (up to
      // MAX_TX_BATCH_BYTES), which a tx waiting in the mempool kept alive, counted as its own few hundred
      // bytes (a batch of one gapped tx padded with its copies, dropped as duplicates, held 4 MiB for it).
      // Decoded here, not by the mempool: an entry that does not decode ends the batch at once, its sender
      // penalised (it was refused TX_MALFORMED with the rest of the batch, the penalty after every entry).
      const own = decodedOrRefused(tx.slice(), digest, hash);
      this.inFlight++;
      this.inFlightBytes += tx.byteLength;
      if (stranger) {
        this.strangersInFlight++;
        this.strangersInFlightBytes += tx.byteLength;
      }
      if (ofPeer === undefined) this.inFlightBy.set(peer, { txs: 1, bytes: tx.byteLength });
      else {
        ofPeer.txs++;
        ofPeer.bytes += tx.byteLength;
      }
      this.fromPeer.set(hash, true);
      // One derived promise per tx (a `finally` after the `then` made two more, and a closure each).
      const bytesOfTx = tx.byteLength;
      let admission: Promise<DecodedTx>;
      try {
        admission = this.mempool.add(own, digest, stranger ? "stranger" : "peer");
      } catch (err) {
        admission = Promise.reject(err); // its counts given back below, as for any refusal
      }
      admission.then(
        () => {
          this.admissionDone(peer, stranger, hash, bytesOfTx);
          this.seen.add(hash); // admitted: copies from other peers are dropped from now on
        },
        (err: unknown) => {
          this.admissionDone(peer, stranger, hash, bytesOfTx);
          // Most refusals are normal here (already included, nonce moved on, mempool full); a malformed or
          // badly signed tx is not: the peer could not have admitted it.
          this.stats.refused++;
          if (!(err instanceof TxError)) return;
          if (FINAL_REFUSALS.has(err.code)) this.seen.add(hash);
          if (!blamed && PEER_FAULTS.has(err.code)) {
            blamed = true;
            this.onMisbehaviour(peer, `relayed an invalid transaction: ${err.message}`, false);
          }
        },
      );
    }
    if (this.stats.shed > 0 && this.stats.shed % 10_000 === 0) {
      this.log.warn({ shed: this.stats.shed }, "relayed transactions dropped: too many admissions in flight");
    }
  }
}

/**
 * The tx decoded; throws CodecError if it does not decode: no honest relay sends such an entry (it relays what
 * its mempool admitted), so the rest of the batch is not read and the peer is penalised.
 */
function decodedOrRefused(bytes: Uint8Array, hash?: Uint8Array, id?: string): DecodedTx {
  try {
    return decodeTx(bytes, hash, id);
  } catch (err) {
    throw new CodecError(`a relayed transaction does not decode: ${(err as Error).message}`);
  }
}

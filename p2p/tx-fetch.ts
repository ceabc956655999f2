import type { Connection, Stream } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";
import type { Logger } from "pino";
import { HASH_LENGTH } from "../proto/block.ts";
import { BLOCK_PARAM_CAPS } from "../proto/block-caps.ts";
import { MAX_TX_FETCH_REQUEST_BYTES, MAX_TX_FETCH_RESPONSE_BYTES } from "../proto/block-limits.ts";
import {
  decodeTxFetchRequest,
  decodeTxFetchResponse,
  encodeTxFetchRequest,
  encodeTxFetchResponse,
  type TxFetchRequest,
  type TxFetchResponse,
} from "../proto/p2p.ts";
import type { P2pHost } from "./host.ts";
import { type FrameProgress, FramesUnderWay } from "./frames-under-way.ts";
import { InFlightBudget, type InFlightTicket } from "./in-flight-budget.ts";
import { PerSecondCounts, strangerTest } from "./per-second-counts.ts";
import { RecentStrangers, StrangerShares } from "./stranger-shares.ts";
import { TransferDeadline, type TransferDeadlineOptions } from "./transfer-deadline.ts";

export const TX_FETCH_PROTOCOL = "/opl/txfetch/1";

/**
 * Fetching the txs of a proposed block from a peer: one request per stream (the block's height and hash,
 * the hashes wanted, or none for the whole block), one answer, both bounded by limits derived from the
 * block limits (proto/block-limits.ts). What to answer is the caller's (`serve`: node/compact-proposal.ts);
 * this file moves bytes, paces peers and reports offences.
 */
export interface TxFetchOptions {
  /** Requests served per peer per second; a peer far over it (3x) is penalised as flooding. */
  maxRequestsPerSecond: number;
  /** How long a request may take to arrive, and an answer to be written. */
  serveTimeoutMs: number;
}

export const DEFAULT_TX_FETCH: TxFetchOptions = { maxRequestsPerSecond: 20, serveTimeoutMs: 10_000 };

/**
 * Answer bytes one peer may draw per second: one whole block's worth. An honest peer asks once per proposal
 * it lacks txs of (a block a round at most); without a byte bound, 20 whole-block requests a second would
 * let one peer draw ~160 MiB/s from a proposer, each answer a fresh multi-MiB buffer.
 */
export const TX_FETCH_BYTES_PER_PEER_SECOND = MAX_TX_FETCH_RESPONSE_BYTES;

/** Answer bytes being written to all peers at once (slow readers hold them): four whole blocks. */
export const TX_FETCH_BYTES_IN_FLIGHT = 4 * MAX_TX_FETCH_RESPONSE_BYTES;

/** Answer bytes being written to one peer at once: the two fetches a client keeps in flight, whole blocks. */
export const TX_FETCH_BYTES_IN_FLIGHT_PER_PEER = 2 * MAX_TX_FETCH_RESPONSE_BYTES;

/**
 * Answer bytes being written to all strangers at once, when the node names any persistent peer: all but one
 * whole block, kept for the persistent peers (before, strangers that never read their answers held all of
 * TX_FETCH_BYTES_IN_FLIGHT for the 10 s serve timeout, and a persistent peer's fetch was refused).
 */
export const TX_FETCH_BYTES_IN_FLIGHT_STRANGERS = TX_FETCH_BYTES_IN_FLIGHT - MAX_TX_FETCH_RESPONSE_BYTES;

/**
 * Tx hashes one peer may have looked up per second: one largest block's worth. Each costs a lookup
 * (answerTxFetch), so a peer asking for all 20,000 hashes of a block 20 times a second spent 0.7-1.6 s of
 * our CPU a second; an honest peer asks by hash for less than half a block per proposal it lacks txs of.
 */
export const TX_FETCH_HASHES_PER_PEER_SECOND = BLOCK_PARAM_CAPS.maxBlockTxs;

/**
 * What all strangers (peers not in p2p.persistent_peers) may cost together, in peers' worth: requests,
 * hashes looked up and answer bytes per second, each twice one peer's bound. Without it, 100 peer ids (the
 * connection limit) were allowed 100 peers' worth: ~2,000,000 lookups a second. Persistent peers are held
 * to their own bounds only, so a validator's fetches from its fellow validators go on whatever strangers
 * send. The share is split among the strangers asking (p2p/stranger-shares.ts), so ids that ask first in
 * every second do not spend it all. An honest stranger (a full node following consensus) asks for the txs
 * it lacks of each proposal, a few thousand hashes; refused, it learns the block by block sync once it is
 * committed. A node that names no persistent peer (a seed, an RPC node) serves strangers only, within the
 * per-peer bounds and the totals.
 */
export const TX_FETCH_STRANGERS_SHARE = 2;

/** Hashes looked up and answer bytes per second for all strangers together (split among those asking). */
const STRANGERS_HASHES_PER_SECOND = TX_FETCH_STRANGERS_SHARE * TX_FETCH_HASHES_PER_PEER_SECOND;
const STRANGERS_BYTES_PER_SECOND = TX_FETCH_STRANGERS_SHARE * TX_FETCH_BYTES_PER_PEER_SECOND;

/** A length-delimited field's encoded size: a one-byte tag, the length as a varint, the bytes. */
function fieldBytes(length: number): number {
  let varint = 1;
  for (let v = length; v >= 0x80; v = Math.floor(v / 128)) varint++;
  return 1 + varint + length;
}

/**
 * The most bytes any answer to `req` can have, from the request alone: the whole block or its hashes' count
 * of the largest txs, within the response limit. The bound of a server that does not know its blocks' sizes.
 */
export function anyAnswerBound(req: TxFetchRequest): number {
  const hashes = req.txHashes.byteLength / HASH_LENGTH;
  if (hashes === 0) return MAX_TX_FETCH_RESPONSE_BYTES;
  return Math.min(MAX_TX_FETCH_RESPONSE_BYTES, hashes * fieldBytes(BLOCK_PARAM_CAPS.maxTxBytes));
}

/** An answer's encoded size, from its parts, before anything is copied (encodeTxFetchResponse's length). */
export function answerBytes(r: TxFetchResponse): number {
  if (r.block !== undefined) return fieldBytes(r.block.byteLength);
  let n = 0;
  for (const tx of r.txs) n += fieldBytes(tx.byteLength);
  return n;
}

/**
 * A fetch that got no answer. `unsupported`: the peer does not speak the protocol, which every node does
 * (so not an honest validator); `refused`: it reset the stream (it may no longer hold the block: committed
 * meanwhile, so the asker is late and block sync will catch it up); `stalled`: no answer in time (a loaded
 * peer or link is slow, not hostile).
 */
export class TxFetchFailed extends Error {
  override name = "TxFetchFailed";
  readonly kind: "unsupported" | "refused" | "stalled";
  constructor(message: string, kind: TxFetchFailed["kind"]) {
    super(message);
    this.kind = kind;
  }
}

/** Inbound tx fetch streams open at once per connection (the protocol's maxInboundStreams). */
const TX_FETCH_STREAMS_PER_CONNECTION = 4;

/**
 * Strangers' tx fetch requests being read at once, in maximal requests' worth of held bytes: as many as one
 * connection may have streams open, so strangers asking together for whole blocks are read, and the host's
 * 100 connections hold what one does.
 */
export const TX_FETCH_REQUESTS_HELD_STRANGERS = TX_FETCH_STREAMS_PER_CONNECTION;

export class TxFetch {
  private readonly host: P2pHost;
  private readonly o: TxFetchOptions;
  private readonly log: Logger;
  private readonly serveRequest: (peer: string, req: TxFetchRequest) => TxFetchResponse | undefined;
  private readonly answerBound: (peer: string, req: TxFetchRequest) => number | undefined;
  private readonly onMisbehaviour: (peer: string, reason: string, flooding: boolean) => void;
  /** A peer not named in p2p.persistent_peers, when any is (strangerTest). */
  private readonly isStranger: (peer: string) => boolean;
  /** Answer bytes being written: every peer's, each peer's, strangers'. */
  private readonly inFlight: InFlightBudget;
  /** This second's requests (each peer's all asked), hashes looked up, bytes drawn. */
  private readonly requests: PerSecondCounts;
  private readonly hashes: PerSecondCounts;
  private readonly bytes: PerSecondCounts;
  /** The same, served to strangers, split among the strangers asking (p2p/stranger-shares.ts). */
  private readonly strangerRequests: StrangerShares;
  private readonly strangerHashes: StrangerShares;
  private readonly strangerBytes: StrangerShares;
  /**
   * Requests being read, and the bytes they hold: strangers' together at most TX_FETCH_REQUESTS_HELD_STRANGERS
   * maximal requests, the one under way longest reset past that (p2p/frames-under-way.ts). Each request
   * stream held up to MAX_TX_FETCH_REQUEST_BYTES (~625 KiB) for serveTimeoutMs while it trickled in, 4
   * streams a connection: ~250 MiB over the host's 100 connections, renewed every 10 s, before any budget
   * was taken.
   */
  private readonly requestsUnderWay = new FramesUnderWay(
    MAX_TX_FETCH_REQUEST_BYTES,
    undefined,
    undefined,
    TX_FETCH_REQUESTS_HELD_STRANGERS,
  );

  private constructor(deps: {
    host: P2pHost;
    log: Logger;
    serve: (peer: string, req: TxFetchRequest) => TxFetchResponse | undefined;
    bound?: (peer: string, req: TxFetchRequest) => number | undefined;
    onMisbehaviour: (peer: string, reason: string, flooding: boolean) => void;
    persistentPeers?: ReadonlySet<string>;
    now?: () => number;
    options: TxFetchOptions;
  }) {
    this.host = deps.host;
    this.log = deps.log;
    this.serveRequest = deps.serve;
    this.answerBound = deps.bound ?? ((_peer, req) => anyAnswerBound(req));
    this.onMisbehaviour = deps.onMisbehaviour;
    this.isStranger = strangerTest(deps.persistentPeers ?? new Set());
    this.inFlight = new InFlightBudget({
      totalBytes: TX_FETCH_BYTES_IN_FLIGHT,
      perPeerBytes: TX_FETCH_BYTES_IN_FLIGHT_PER_PEER,
      strangersBytes: TX_FETCH_BYTES_IN_FLIGHT_STRANGERS,
    });
    this.requests = new PerSecondCounts(deps.now);
    this.hashes = new PerSecondCounts(deps.now);
    this.bytes = new PerSecondCounts(deps.now);
    const asking = new RecentStrangers(deps.now);
    const max = deps.options.maxRequestsPerSecond;
    const requests = { share: TX_FETCH_STRANGERS_SHARE * max, cap: max };
    this.strangerRequests = new StrangerShares(requests, deps.now, asking);
    const hashes = { share: STRANGERS_HASHES_PER_SECOND, cap: TX_FETCH_HASHES_PER_PEER_SECOND };
    this.strangerHashes = new StrangerShares(hashes, deps.now, asking);
    const bytes = { share: STRANGERS_BYTES_PER_SECOND, cap: TX_FETCH_BYTES_PER_PEER_SECOND };
    this.strangerBytes = new StrangerShares(bytes, deps.now, asking);
    this.o = deps.options;
  }

  static async start(deps: {
    host: P2pHost;
    log: Logger;
    /** The answer to a request, or undefined if this node cannot give it (the stream is reset). */
    serve: (peer: string, req: TxFetchRequest) => TxFetchResponse | undefined;
    /**
     * The most bytes `serve`'s answer to a request can have, known without building it (txFetchAnswerBound),
     * or undefined if it cannot be answered: the budgets are checked against it first. Default: anyAnswerBound.
     */
    bound?: (peer: string, req: TxFetchRequest) => number | undefined;
    onMisbehaviour: (peer: string, reason: string, flooding: boolean) => void;
    /** The peers named in p2p.persistent_peers (PeerScores.persistentPeers); every other is a stranger. Default: none. */
    persistentPeers?: ReadonlySet<string>;
    /** The clock (ms) whose seconds the per-second bounds count in. Default: Date.now. */
    now?: () => number;
    options?: Partial<TxFetchOptions>;
  }): Promise<TxFetch> {
    const f = new TxFetch({ ...deps, options: { ...DEFAULT_TX_FETCH, ...deps.options } });
    await deps.host.handle(TX_FETCH_PROTOCOL, (stream, connection) => f.serve(stream, connection), {
      maxInboundStreams: TX_FETCH_STREAMS_PER_CONNECTION,
      maxOutboundStreams: 4,
    });
    return f;
  }

  /** Bytes strangers' requests being read hold now (at most TX_FETCH_REQUESTS_HELD_STRANGERS maximal requests). */
  get requestBytesHeldByStrangers(): number {
    return this.requestsUnderWay.heldByStrangers;
  }

  /** Answer bytes being written now: to every peer, and of them to strangers. */
  get stats(): { bytesInFlight: number; strangersBytesInFlight: number } {
    return { bytesInFlight: this.inFlight.bytes, strangersBytesInFlight: this.inFlight.strangersBytes };
  }

  async stop(): Promise<void> {
    this.requestsUnderWay.close();
    await this.host.unhandle(TX_FETCH_PROTOCOL);
  }

  /**
   * Asks `peer` and returns its answer, decoded (not yet checked against the request: the caller does).
   * Throws TxFetchFailed when no answer came (`within`: how long it may stall), CodecError for a bad one.
   */
  async fetch(peer: string, req: TxFetchRequest, within: TransferDeadlineOptions): Promise<TxFetchResponse> {
    const conn = this.host.getConnections().find((c) => c.remotePeer.toString() === peer && c.status === "open");
    if (conn === undefined) throw new TxFetchFailed("peer is not connected", "refused");
    // Not one timeout for the whole answer (a whole block may be megabytes on a slow link): it is heard out
    // while its bytes keep coming at a minimum rate.
    const deadline = new TransferDeadline(within);
    const signal = deadline.signal;
    let stream: Stream;
    try {
      stream = await conn.newStream(TX_FETCH_PROTOCOL, { signal });
    } catch (err) {
      deadline.clear();
      const kind = signal.aborted ? "stalled" : (err as Error).name === "UnsupportedProtocolError" ? "unsupported" : "refused";
      throw new TxFetchFailed(`could not open a tx fetch stream: ${(err as Error).message}`, kind);
    }
    const onBytes = (evt: { data: { byteLength: number } }) => deadline.progress(evt.data.byteLength);
    stream.addEventListener("message", onBytes);
    const lp = lpStream(stream, {
      maxDataLength: MAX_TX_FETCH_RESPONSE_BYTES,
      maxBufferSize: MAX_TX_FETCH_RESPONSE_BYTES + 16,
    });
    let answer: Uint8Array;
    try {
      await lp.write(encodeTxFetchRequest(req), { signal });
      await stream.close({ signal });
      answer = (await lp.read({ signal })).subarray();
    } catch (err) {
      const reason = signal.aborted ? (signal.reason as Error).message : (err as Error).message;
      stream.abort(new Error(reason));
      throw new TxFetchFailed(`tx fetch: ${reason}`, signal.aborted ? "stalled" : "refused");
    } finally {
      deadline.clear();
      stream.removeEventListener("message", onBytes);
    }
    return decodeTxFetchResponse(answer); // a CodecError: the peer's fault
  }

  /** Answers one request, or resets the stream if this node cannot. */
  private async serve(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString();
    const stranger = this.isStranger(peer);
    const max = this.o.maxRequestsPerSecond;
    const asked = this.requests.request(peer, max);
    if (asked !== "ok") {
      stream.abort(new Error("too many tx fetch requests"));
      if (asked === "flood") this.onMisbehaviour(peer, `more than ${3 * max} tx fetch requests in a second`, true);
      return;
    }
    const signal = AbortSignal.timeout(this.o.serveTimeoutMs);
    const lp = lpStream(stream, { maxDataLength: MAX_TX_FETCH_REQUEST_BYTES });
    const reading = new RequestBytes();
    let resetHere = false; // the strangers' bound reset it: no blame
    const reset = (reason: string) => {
      resetHere = true;
      stream.abort(new Error(reason));
    };
    const underWay = this.requestsUnderWay.add(reading, stranger, reset);
    const onBytes = (evt: { data: { byteLength: number } }) => {
      reading.received += evt.data.byteLength;
      if (this.requestsUnderWay.progress(underWay, 0)) return;
      this.requestsUnderWay.remove(underWay);
      reset("strangers' tx fetch requests under way hold all they may: ask again shortly");
    };
    stream.addEventListener("message", onBytes);
    let req: TxFetchRequest;
    try {
      req = decodeTxFetchRequest((await lp.read({ signal })).subarray());
    } catch (err) {
      stream.abort(err as Error);
      const name = (err as Error).name;
      if (!resetHere && name !== "AbortError" && name !== "TimeoutError" && name !== "StreamResetError") {
        this.onMisbehaviour(peer, `bad tx fetch request: ${(err as Error).message}`, false);
      }
      return;
    } finally {
      stream.removeEventListener("message", onBytes);
      this.requestsUnderWay.remove(underWay);
    }
    // Strangers' share of requests, counted once a request came, split among the strangers asking: no offence
    // of this one's past its part.
    if (stranger && !this.strangerRequests.take(peer)) {
      stream.abort(new Error("tx fetch requests over their budget: ask again shortly"));
      return;
    }
    const ticket = this.inFlight.ticket(peer, stranger);
    let answer: TxFetchResponse | undefined;
    try {
      answer = this.build(stream, peer, stranger, req, ticket);
    } catch (err) {
      // Our fault (the serve or bound callback threw), not the peer's: said, and the stream reset.
      this.log.warn({ peer, err }, "tx fetch answer could not be built");
      stream.abort(err as Error);
      ticket.close();
      return;
    }
    if (answer === undefined) {
      ticket.close();
      return;
    }
    try {
      await lp.write(encodeTxFetchResponse(answer), { signal });
      await stream.close({ signal });
    } catch (err) {
      this.log.debug({ peer, err: (err as Error).message }, "tx fetch answer not delivered");
      stream.abort(err as Error);
    } finally {
      ticket.close();
    }
  }

  /**
   * Builds a request's answer once admit() has let it through; its bytes in flight are settled to the
   * answer's own size. Returns the answer, or undefined if the stream was reset.
   */
  private build(
    stream: Stream,
    peer: string,
    stranger: boolean,
    req: TxFetchRequest,
    ticket: InFlightTicket,
  ): TxFetchResponse | undefined {
    const bound = this.admit(stream, peer, stranger, req, ticket);
    if (bound === undefined) return undefined;
    const answer = this.serveRequest(peer, req);
    if (answer === undefined) {
      stream.abort(new Error("the block asked for is not known here"));
      return undefined;
    }
    const size = answerBytes(answer);
    if (size > bound) {
      // The bound is wrong (a bug): the answer is not sent past the budgets it was checked against.
      this.log.warn({ peer, size, bound }, "tx fetch answer larger than its bound: not sent");
      stream.abort(new Error("tx fetch answer over its bound"));
      return undefined;
    }
    ticket.give(bound - size);
    this.bytes.count(peer, size);
    if (stranger) this.strangerBytes.count(peer, size);
    return answer;
  }

  /**
   * Checks a request against the budgets before any lookup is made: the hashes it asks to be looked up
   * (per peer and, for a stranger, all strangers' per second; charged here), the bytes its answer can have,
   * from the bound (the same per second), and those bytes in flight (per peer, strangers', everyone's; taken
   * here by `ticket`). Returns the bound, or undefined if the stream was reset.
   */
  private admit(
    stream: Stream,
    peer: string,
    stranger: boolean,
    req: TxFetchRequest,
    ticket: InFlightTicket,
  ): number | undefined {
    const bound = this.answerBound(peer, req);
    if (bound === undefined) {
      stream.abort(new Error("the block asked for is not known here"));
      return undefined;
    }
    const hashes = req.txHashes.byteLength / HASH_LENGTH;
    const fits =
      this.hashes.of(peer) + hashes <= TX_FETCH_HASHES_PER_PEER_SECOND &&
      this.bytes.of(peer) + bound <= TX_FETCH_BYTES_PER_PEER_SECOND &&
      (!stranger ||
        (this.strangerHashes.fits(peer, hashes) && this.strangerBytes.fits(peer, bound)));
    if (!fits || !ticket.take(bound)) {
      const strangersHashes = this.strangerHashes.total;
      const counted = { hashes: this.hashes.of(peer), bytes: this.bytes.of(peer), strangersHashes };
      this.log.debug({ peer, stranger, bound, asked: hashes, ...counted, inFlight: this.inFlight.bytes }, "tx fetch request over its budget");
      stream.abort(new Error("tx fetch requests over their budget: ask again shortly"));
      return undefined;
    }
    this.hashes.count(peer, hashes);
    if (stranger) this.strangerHashes.count(peer, hashes);
    return bound;
  }
}

/**
 * A request's bytes as they come (the stream's "message" events): what its reader holds until it is read, at
 * most one request (the reader refuses a longer one).
 */
class RequestBytes implements FrameProgress {
  received = 0;
  readonly inFrame = true;

  get heldBytes(): number {
    return Math.min(this.received, MAX_TX_FETCH_REQUEST_BYTES);
  }

  get frameBytesReceived(): number {
    return this.received;
  }
}

import type { Connection, PeerId, Stream } from "@libp2p/interface";
import type { Logger } from "pino";
import { CanonicalWriter, varintSize } from "../proto/canonical-writer.ts";
import { type FrameDeadline, FramesUnderWay, STRANGER_FRAMES_HELD } from "./frames-under-way.ts";
import { FrameDecoder } from "./frame-decoder.ts";
import type { P2pHost } from "./host.ts";
import { strangerTest } from "./per-second-counts.ts";
import { StrangerShares } from "./stranger-shares.ts";

/**
 * A gossip protocol: one long-lived stream per peer and direction, frames of [varint length][bytes]. Sending
 * is fire-and-forget with a bounded per-peer write queue (a peer that cannot keep up loses its stream, not
 * our memory); receiving is event-driven, with a hard frame size (frames of exactly maxMessageBytes cross;
 * frame-decoder.ts). A peer that sends an oversized, empty or malformed frame, or one the caller rejects,
 * is hung up on (p2p/LIBP2P3-STREAMS.md explains the API).
 */
export interface GossipOptions {
  protocol: string;
  /** Largest frame accepted from a peer. */
  maxMessageBytes: number;
  /** Most bytes queued for one peer before its stream is dropped. */
  maxQueuedBytes: number;
  /** Most messages one peer may send per second (sustained; bursts of twice that are fine). */
  maxMessagesPerSecond: number;
  /**
   * The peers named in p2p.persistent_peers. When there are any, all other peers (strangers) together may
   * send STRANGERS_MESSAGE_SHARE peers' worth of messages a second (bursts of twice that), each stranger the
   * part of it that it has earned (the share over the strangers that sent in the last few seconds, built up
   * to one peer's burst: p2p/stranger-shares.ts); a stranger's messages past it are dropped unread, without
   * blame. Each message is decoded and checked by onMessage, and stranger ids cost nothing: without it, 100
   * ids were allowed 100 peers' worth. Default: none named.
   */
  persistentPeers?: ReadonlySet<string>;
  /** The clock (ms) the message rates are counted by. Default: performance.now. */
  now?: () => number;
  /** How long a frame under way may take (p2p/frames-under-way.ts). Default: DEFAULT_FRAME_DEADLINE. */
  frameDeadline?: FrameDeadline;
  /** Handles one message; throw to mark the peer as misbehaving (PeerFlooding: as flooding). */
  onMessage(peer: string, message: Uint8Array): void;
  /** A peer sent a bad frame, a message onMessage threw for, or too many: penalise it (it is disconnected). */
  onMisbehaviour(peer: string, reason: string, flooding: boolean): void;
}

export interface BroadcastOptions {
  /**
   * Skip peers whose stream still has bytes waiting to go out (a slow link, a peer behind on reading): for
   * re-sends, which would only queue a second copy behind the first and make later messages (votes) wait
   * behind megabytes of duplicates.
   */
  skipBacklogged?: boolean;
}

/** Thrown by onMessage for a message that is well-formed but one too many: penalised as flooding. */
export class PeerFlooding extends Error {
  override name = "PeerFlooding";
}

/** All strangers' messages a second, in peers' worth (GossipOptions.persistentPeers). */
export const STRANGERS_MESSAGE_SHARE = 2;

const REOPEN_DELAY_MS = 1000;
const REOPEN_MAX_DELAY_MS = 10_000;

/** [varint length][message]: the frame FrameDecoder reads on the other side. */
export function frame(message: Uint8Array): Uint8Array {
  const w = new CanonicalWriter(varintSize(message.byteLength) + message.byteLength);
  w.varint(message.byteLength);
  w.raw(message);
  return w.finish();
}

export class Gossip {
  private readonly host: P2pHost;
  private readonly opts: GossipOptions;
  private readonly log: Logger;
  private readonly outbound = new Map<string, Stream>();
  private topologyId: string | undefined;
  private stopped = false;
  private readonly isStranger: (peer: string) => boolean;
  private readonly now: () => number;
  /** The strangers' messages: each earns its part of their share (p2p/stranger-shares.ts). */
  private readonly strangerShares: StrangerShares;
  /** Strangers' messages dropped unread because strangers had spent their share, or the sender its part. */
  strangersDropped = 0;
  /** Frames under way on the inbound streams: their deadlines, and the strangers' bytes held for them. */
  readonly framesUnderWay: FramesUnderWay;

  private constructor(host: P2pHost, opts: GossipOptions, log: Logger) {
    this.host = host;
    this.opts = opts;
    this.log = log;
    this.isStranger = strangerTest(opts.persistentPeers ?? new Set());
    this.now = opts.now ?? (() => performance.now());
    // Credit up to one peer's burst (its own bucket's), earned at the share over the strangers sending; all of
    // them at most two seconds' share in one second, as the token bucket they shared allowed (which went to
    // whichever sent first in each second).
    const rate = opts.maxMessagesPerSecond;
    const share = STRANGERS_MESSAGE_SHARE * rate;
    this.strangerShares = new StrangerShares({ share, cap: 2 * rate, burst: 2 * share }, this.now);
    this.framesUnderWay = new FramesUnderWay(opts.maxMessageBytes, opts.frameDeadline);
  }

  static async start(host: P2pHost, opts: GossipOptions, log: Logger): Promise<Gossip> {
    const g = new Gossip(host, opts, log);
    await host.handle(opts.protocol, (stream, connection) => g.onInbound(stream, connection), {
      maxInboundStreams: 1,
      maxOutboundStreams: 1,
    });
    g.topologyId = await host.register(opts.protocol, {
      onConnect: (peer, connection) => void g.openOutbound(peer, connection),
      onDisconnect: (peer) => {
        g.outbound.delete(peer.toString());
      },
    });
    return g;
  }

  /** Peers with an open outbound stream. */
  get peers(): string[] {
    return [...this.outbound.keys()];
  }

  /** How many peers a broadcast now would go to, at most (no array made: asked once per tx by the relay). */
  get peerCount(): number {
    return this.outbound.size;
  }

  /** Sends to every peer (see BroadcastOptions); returns how many it was queued for. */
  broadcast(message: Uint8Array, opts: BroadcastOptions = {}): number {
    if (message.byteLength > this.opts.maxMessageBytes) {
      // Peers would refuse it and disconnect us: a bug here (the limits derive from one place), never sent.
      this.log.error({ bytes: message.byteLength, limit: this.opts.maxMessageBytes }, `${this.opts.protocol} message over the limit not sent`);
      return 0;
    }
    const bytes = frame(message);
    let sent = 0;
    for (const [peer, stream] of this.outbound) {
      if (stream.writeStatus !== "writable") {
        this.outbound.delete(peer);
        continue;
      }
      if (opts.skipBacklogged === true && stream.writeBufferLength > 0) continue;
      try {
        stream.send(bytes); // false only means "queued": the bounded queue protects us from slow peers
        sent++;
      } catch (err) {
        this.log.debug({ peer, err: (err as Error).message }, "gossip send failed");
        this.outbound.delete(peer);
      }
    }
    return sent;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.topologyId !== undefined) this.host.unregister(this.topologyId);
    await this.host.unhandle(this.opts.protocol);
    this.framesUnderWay.close();
    for (const s of this.outbound.values()) s.abort(new Error("gossip stopped"));
    this.outbound.clear();
  }

  private async openOutbound(peer: PeerId, connection: Connection, attempt = 0): Promise<void> {
    const id = peer.toString();
    // The stream can die, or fail to open, while the connection lives (its queue overflowed while the peer
    // was paused, the peer still held our previous stream, a negotiation timed out): try again with backoff
    // for as long as the connection lasts, or this peer would hear nothing from us again.
    const retry = (next: number) => {
      if (this.stopped || connection.status !== "open") return;
      const delay = Math.min(REOPEN_MAX_DELAY_MS, REOPEN_DELAY_MS * 2 ** Math.min(next, 4));
      setTimeout(() => {
        if (!this.stopped && connection.status === "open" && !this.outbound.has(id)) {
          void this.openOutbound(peer, connection, next);
        }
      }, delay).unref();
    };
    try {
      const stream = await connection.newStream(this.opts.protocol);
      if (stream.status !== "open") throw new Error(`new stream is ${stream.status}`);
      stream.maxWriteBufferLength = this.opts.maxQueuedBytes;
      this.outbound.set(id, stream);
      stream.addEventListener("close", () => {
        if (this.outbound.get(id) === stream) this.outbound.delete(id);
        retry(0);
      });
    } catch (err) {
      this.log.debug({ peer: id, err: (err as Error).message }, "could not open gossip stream; retrying");
      retry(attempt + 1);
    }
  }

  private onInbound(stream: Stream, connection: Connection): void {
    const peer = connection.remotePeer.toString();
    const decoder = new FrameDecoder(this.opts.maxMessageBytes);
    // Token bucket: refills at the sustained rate, holds a burst of two seconds' worth.
    const rate = this.opts.maxMessagesPerSecond;
    let tokens = 2 * rate;
    let refilled = this.now();
    const stranger = this.isStranger(peer);
    const fail = (reason: string, flooding: boolean) => {
      stream.abort(new Error(reason));
      this.opts.onMisbehaviour(peer, reason, flooding);
    };
    // Reset without blame: a stalled frame, or a stranger's frame the strangers' bytes held cannot afford now.
    const stop = (reason: string) => {
      this.log.debug({ peer, reason }, `${this.opts.protocol} stream reset`);
      stream.abort(new Error(reason));
    };
    const underWay = this.framesUnderWay.add(decoder, stranger, stop);
    stream.addEventListener("close", () => this.framesUnderWay.remove(underWay));
    stream.addEventListener("message", (evt) => {
      if (stream.status !== "open") return;
      let frames;
      try {
        frames = [...decoder.decode(evt.data)];
      } catch (err) {
        fail(`bad ${this.opts.protocol} frame: ${(err as Error).message}`, false);
        return;
      }
      if (!this.framesUnderWay.progress(underWay, frames.length)) {
        this.framesUnderWay.remove(underWay);
        stop(`strangers' frames under way hold ${STRANGER_FRAMES_HELD} frames' worth: send it again shortly`);
        return;
      }
      const now = this.now();
      tokens = Math.min(2 * rate, tokens + ((now - refilled) / 1000) * rate);
      refilled = now;
      tokens -= frames.length;
      if (tokens < 0) {
        fail(`more than ${rate} ${this.opts.protocol} messages per second`, true);
        return;
      }
      if (stranger) {
        // Its part of the strangers' messages (the share over the strangers sending): ids that send first in
        // every second no longer spend it all.
        const taken = Math.min(frames.length, this.strangerShares.room(peer));
        this.strangerShares.count(peer, taken);
        this.strangersDropped += frames.length - taken;
        if (taken < frames.length) frames = frames.slice(0, taken);
      }
      for (const m of frames) {
        try {
          this.opts.onMessage(peer, m);
        } catch (err) {
          const flooding = err instanceof PeerFlooding;
          fail(`${flooding ? "flooding" : "bad"} ${this.opts.protocol} message: ${(err as Error).message}`, flooding);
          return;
        }
      }
    });
  }
}

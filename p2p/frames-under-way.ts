/**
 * What a stream's reader says of the frame it is reading: p2p/frame-decoder.ts's FrameDecoder for gossip, or
 * a count kept from a stream's bytes for a single length-prefixed request (p2p/tx-fetch.ts).
 */
export interface FrameProgress {
  /** A frame has begun and is not complete. */
  readonly inFrame: boolean;
  /** Bytes the reader holds now. */
  readonly heldBytes: number;
  /** Bytes of the frame under way received so far. */
  readonly frameBytesReceived: number;
}

/**
 * The frames under way on one gossip protocol's inbound streams, and what they may cost while they arrive. A
 * frame's bytes are held as they come (p2p/frame-decoder.ts), and nothing made a peer finish one: a peer could
 * send a maximal frame but its last byte on each protocol and have it held as long as its connection lived
 * (~12 MiB a connection over consensus and tx gossip, over a gigabyte across the host's 100 connections).
 *   - Time: a frame under way must keep coming: a byte at least every FRAME_IDLE_MS, and after a first
 *     FRAME_IDLE_MS of grace at least MIN_FRAME_BYTES_PER_SECOND on average (block sync's rule for its
 *     transfers, p2p/transfer-deadline.ts). One sweep a second checks every stream: no timer per message.
 *   - Memory: the strangers' frames under way (GossipOptions.persistentPeers) hold at most
 *     STRANGER_FRAMES_HELD maximal frames together; past it the stream of the frame under way longest is
 *     reset (not the newcomer's: a stranger trickling two frames at the minimum rate would otherwise hold the
 *     bound for minutes at a time and lock every other stranger's large frame out). No blame either way: a
 *     big frame, or a slow link, is honest; it is only not affordable now.
 */
export const FRAME_IDLE_MS = 20_000;
/** A maximal consensus frame (~8 MiB) then has ~2 minutes: a link far slower than any validator's. */
export const MIN_FRAME_BYTES_PER_SECOND = 64 * 1024;
/** Strangers' frames under way on one protocol, together, in maximal frames' worth of held bytes. */
export const STRANGER_FRAMES_HELD = 2;
const SWEEP_MS = 1000;

export interface FrameDeadline {
  idleMs: number;
  minBytesPerSecond: number;
  /** How often the frames under way are checked. */
  sweepMs: number;
}

export const DEFAULT_FRAME_DEADLINE: FrameDeadline = {
  idleMs: FRAME_IDLE_MS,
  minBytesPerSecond: MIN_FRAME_BYTES_PER_SECOND,
  sweepMs: SWEEP_MS,
};

/** One inbound stream's frame under way. */
export interface InboundFrames {
  readonly decoder: FrameProgress;
  readonly stranger: boolean;
  /** Resets the stream, saying why (it then leaves through FramesUnderWay.remove). */
  readonly stop: (reason: string) => void;
  /** What the decoder held when last counted (the strangers' total includes it). */
  held: number;
  /** When the frame under way began; undefined between frames. */
  startedMs: number | undefined;
  /** When bytes last came. */
  lastMs: number;
}

export class FramesUnderWay {
  private readonly streams = new Set<InboundFrames>();
  private readonly deadline: FrameDeadline;
  private readonly strangersLimit: number;
  private readonly framesHeld: number;
  private strangersHeld = 0;
  private readonly sweeper: NodeJS.Timeout;
  private lastSweepMs: number;

  private readonly now: () => number;

  /**
   * `maxFrameBytes`: the protocol's frame limit (the strangers' bound is counted in such frames, `framesHeld`
   * of them: STRANGER_FRAMES_HELD by default). `now`: the clock (ms), performance.now by default.
   */
  constructor(
    maxFrameBytes: number,
    deadline: FrameDeadline = DEFAULT_FRAME_DEADLINE,
    now = () => performance.now(),
    framesHeld = STRANGER_FRAMES_HELD,
  ) {
    this.deadline = deadline;
    this.now = now;
    this.lastSweepMs = now();
    this.framesHeld = framesHeld;
    this.strangersLimit = framesHeld * maxFrameBytes;
    this.sweeper = setInterval(() => this.sweep(), deadline.sweepMs);
    this.sweeper.unref();
  }

  /** Bytes the strangers' frames under way hold now. */
  get heldByStrangers(): number {
    return this.strangersHeld;
  }

  add(decoder: FrameProgress, stranger: boolean, stop: (reason: string) => void): InboundFrames {
    const entry: InboundFrames = { decoder, stranger, stop, held: 0, startedMs: undefined, lastMs: this.now() };
    this.streams.add(entry);
    return entry;
  }

  /**
   * Bytes came on `entry`'s stream and its decoder took them, completing `completed` frames. When a stranger's
   * frame takes the strangers past their bound, the streams of the strangers' frames under way longest are
   * reset until they are within it; false if `entry`'s is one (the caller resets it, and removes it).
   */
  progress(entry: InboundFrames, completed: number): boolean {
    const now = this.now();
    entry.lastMs = now;
    if (!entry.decoder.inFrame) entry.startedMs = undefined;
    else if (entry.startedMs === undefined || completed > 0) entry.startedMs = now; // a frame began in this piece
    const held = entry.decoder.heldBytes;
    if (!entry.stranger) {
      entry.held = held;
      return true;
    }
    this.strangersHeld += held - entry.held;
    entry.held = held;
    while (this.strangersHeld > this.strangersLimit) {
      const oldest = this.oldestStrangerFrame();
      if (oldest === undefined || oldest === entry) return false;
      this.remove(oldest);
      oldest.stop(
        `strangers' frames under way hold ${this.framesHeld} frames' worth, and this one has been under way` +
        " longest: send it again shortly",
      );
    }
    return true;
  }

  /** The stranger's frame under way that began first (the walk is only made when their bound is passed). */
  private oldestStrangerFrame(): InboundFrames | undefined {
    let oldest: InboundFrames | undefined;
    for (const e of this.streams) {
      if (!e.stranger || e.held === 0 || e.startedMs === undefined) continue;
      if (oldest === undefined || e.startedMs < (oldest.startedMs as number)) oldest = e;
    }
    return oldest;
  }

  /** The stream closed: what its frame held is no longer counted. */
  remove(entry: InboundFrames): void {
    if (!this.streams.delete(entry)) return;
    if (entry.stranger) this.strangersHeld -= entry.held;
    entry.held = 0;
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  /** Resets every stream whose frame under way has stalled (FrameDeadline). */
  sweep(): void {
    const now = this.now();
    const { idleMs, minBytesPerSecond, sweepMs } = this.deadline;
    const late = now - this.lastSweepMs > 2 * sweepMs;
    this.lastSweepMs = now;
    // This thread was held (a long commit): bytes that came meanwhile may wait unread behind this timer. The
    // next sweep judges, once they are read.
    if (late) return;
    for (const e of this.streams) {
      if (e.startedMs === undefined) continue;
      const received = e.decoder.frameBytesReceived;
      const idle = now - e.lastMs;
      const due = e.startedMs + idleMs + (received * 1000) / minBytesPerSecond;
      if (idle > idleMs || now > due) {
        this.remove(e);
        e.stop(
          `a frame stalled: ${received} bytes in ${Math.round(now - e.startedMs)} ms, none for ${Math.round(idle)} ms` +
          ` (a byte every ${idleMs} ms and ${minBytesPerSecond} bytes a second are due)`,
        );
      }
    }
  }
}

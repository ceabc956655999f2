import { WS_MIN_READ_BYTES_PER_SECOND } from "./limits.ts";

/** What the heartbeat reads of a connection. */
export interface HeartbeatTarget {
  /** Bytes written to the network so far. */
  readonly written: number;
  /** Bytes handed to the socket and not yet written. */
  readonly buffered: number;
}

/**
 * Whether a WebSocket client still reads. A ping goes out behind every byte sent before it, so a client that
 * reads steadily but slowly sees it late: its pong is due within the idle timeout plus the time to read the
 * bytes that may be ahead of the ping (those written or buffered since the last ping it answered) at
 * WS_MIN_READ_BYTES_PER_SECOND. A client that stopped reading never answers and is late once that passes; one
 * reading slower than that rate is too slow. One ping is outstanding at a time.
 */
export class Heartbeat {
  private readonly target: HeartbeatTarget;
  private readonly idleTimeoutMs: number;
  /** Bytes the client has read for sure: those before the last ping it answered. */
  private confirmed = 0;
  private outstanding: { at: number; behind: number } | undefined;

  constructor(target: HeartbeatTarget, idleTimeoutMs: number) {
    this.target = target;
    this.idleTimeoutMs = idleTimeoutMs;
    this.confirmed = target.written;
  }

  /** No ping waits for its pong: send one. */
  due(): boolean {
    return this.outstanding === undefined;
  }

  pinged(now: number): void {
    this.outstanding = { at: now, behind: this.target.written + this.target.buffered };
  }

  ponged(): void {
    if (this.outstanding === undefined) return;
    this.confirmed = this.outstanding.behind;
    this.outstanding = undefined;
  }

  /** The outstanding ping's pong is overdue. */
  late(now: number): boolean {
    const o = this.outstanding;
    if (o === undefined) return false;
    const ahead = Math.max(0, o.behind - this.confirmed);
    return now - o.at > this.idleTimeoutMs + Math.ceil((ahead * 1000) / WS_MIN_READ_BYTES_PER_SECOND);
  }
}

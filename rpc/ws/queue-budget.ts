/**
 * The bytes of notifications all WebSocket subscriptions together have handed to their sockets and not yet
 * written to the network (ws.max_queued_bytes_total), and those of one client address (WS_CLIENT_SHARE of it,
 * never less than what is needed for one notification). Each subscription's own queue is bounded too
 * (ws.queue_bytes), but connections x subscriptions would multiply that; this one budget is what they share.
 * A subscription takes bytes before it sends a notification and gives them back once it is written (or the
 * connection is gone); one that finds no room waits (see Subscription), and is told when room is given back.
 */
export class WsQueueBudget {
  readonly maxTotal: number;
  readonly maxPerClient: number;
  private used = 0;
  private readonly perClient = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  constructor(maxTotal: number, clientShare: number) {
    this.maxTotal = maxTotal;
    this.maxPerClient = Math.floor(maxTotal * clientShare);
  }

  /** Bytes taken and not yet given back, node-wide. */
  get usedBytes(): number {
    return this.used;
  }

  /**
   * Takes `bytes` for `client` if both the node-wide and the client's bound have room. A client holding nothing
   * may take one notification past its share (else one bigger than the share could never be sent).
   */
  take(client: string, bytes: number): boolean {
    if (!this.fits(client, bytes)) return false;
    const mine = this.perClient.get(client) ?? 0;
    this.used += bytes;
    this.perClient.set(client, mine + bytes);
    return true;
  }

  /** Whether take(client, bytes) would succeed now. */
  fits(client: string, bytes: number): boolean {
    const mine = this.perClient.get(client) ?? 0;
    if (this.used + bytes > this.maxTotal && this.used > 0) return false;
    return mine + bytes <= this.maxPerClient || mine === 0;
  }

  give(client: string, bytes: number): void {
    this.used -= bytes;
    const left = (this.perClient.get(client) ?? bytes) - bytes;
    if (left <= 0) this.perClient.delete(client);
    else this.perClient.set(client, left);
    for (const listener of [...this.listeners]) listener();
  }

  /** Calls `listener` each time bytes are given back, until the returned function is called. */
  onRoom(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * Bytes a node holds for answers it is writing to peers (a slow or stalled reader holds them until its
 * answer is written or given up on): a bound for all peers together, one per peer, and one for all strangers
 * (peers not named in p2p.persistent_peers) together, each taken before the answer is built or read from
 * disk, so that no number of streams holds more than `totalBytes`, and no number of stranger ids keeps the
 * persistent peers from `totalBytes - strangersBytes`. The map holds only peers with bytes held, so it is no
 * larger than the streams being answered.
 */
export interface InFlightBudgetOptions {
  totalBytes: number;
  perPeerBytes: number;
  strangersBytes: number;
}

export class InFlightBudget {
  private readonly o: InFlightBudgetOptions;
  private held = 0;
  private strangersHeld = 0;
  private readonly byPeer = new Map<string, number>();

  constructor(opts: InFlightBudgetOptions) {
    this.o = opts;
  }

  /** Bytes held now, for every peer. */
  get bytes(): number {
    return this.held;
  }

  /** Bytes held now for strangers. */
  get strangersBytes(): number {
    return this.strangersHeld;
  }

  /** Bytes held now for `peer`. */
  bytesOf(peer: string): number {
    return this.byPeer.get(peer) ?? 0;
  }

  /**
   * One answer's share (`stranger`: the peer is not a persistent one): what it takes is given back by
   * `give` or, all of it at once, by `close`.
   */
  ticket(peer: string, stranger: boolean): InFlightTicket {
    return new InFlightTicket(this, peer, stranger);
  }

  /** Takes `bytes` for `peer` if each of its bounds has room; false (nothing taken) if not. */
  take(peer: string, bytes: number, stranger: boolean): boolean {
    const mine = this.bytesOf(peer);
    if (mine + bytes > this.o.perPeerBytes || this.held + bytes > this.o.totalBytes) return false;
    if (stranger && this.strangersHeld + bytes > this.o.strangersBytes) return false;
    this.byPeer.set(peer, mine + bytes);
    this.held += bytes;
    if (stranger) this.strangersHeld += bytes;
    return true;
  }

  /** Gives back `bytes` taken for `peer`. */
  give(peer: string, bytes: number, stranger: boolean): void {
    const left = this.bytesOf(peer) - bytes;
    if (left > 0) this.byPeer.set(peer, left);
    else this.byPeer.delete(peer);
    this.held -= bytes;
    if (stranger) this.strangersHeld -= bytes;
  }
}

/** The bytes one answer holds: never more given back than taken, whatever order its ending runs in. */
export class InFlightTicket {
  private readonly budget: InFlightBudget;
  private readonly peer: string;
  private readonly stranger: boolean;
  private held = 0;

  constructor(budget: InFlightBudget, peer: string, stranger: boolean) {
    this.budget = budget;
    this.peer = peer;
    this.stranger = stranger;
  }

  take(bytes: number): boolean {
    if (!this.budget.take(this.peer, bytes, this.stranger)) return false;
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    const n = Math.min(bytes, this.held);
    this.held -= n;
    this.budget.give(this.peer, n, this.stranger);
  }

  /** The answer is over (written, failed or given up on): everything it still holds goes back. */
  close(): void {
    this.give(this.held);
  }
}

/**
 * What block sync believes of its peers' heights: the height each claimed in its latest status message, the
 * peers whose claims are ignored for a while (distrusted: they served bad blocks, did not answer, or answered
 * nothing for too long), and the peers resting after an empty answer (busy: not asked for a moment, their
 * claim standing). Claims cost a peer nothing, so nothing here is believed beyond what choosing whom to ask
 * needs; a block is checked in full when it arrives (node/block-sync.ts).
 */
export interface SyncPeersOptions {
  /** How long a distrusted peer's claims are ignored. */
  distrustMs: number;
  /** How long a peer that answered no blocks is not asked. */
  busyRetryMs: number;
  /** How long a peer may answer only empty before its claim is dropped (see answeredNothing). */
  emptyAnswersMs: number;
}

/** Distrusted peers remembered at most (the oldest forgotten first): a bound whatever peer ids come and go. */
const MAX_DISTRUSTED = 1000;

export class SyncPeers {
  private readonly o: SyncPeersOptions;
  private readonly now: () => number;
  private readonly heights = new Map<string, number>();
  private readonly distrusted = new Map<string, number>();
  /** Peers that answered none of the blocks asked, and until when they are not asked (their claims stand). */
  private readonly resting = new Map<string, number>();
  /** When each peer's run of empty answers began (see answeredNothing); forgotten when it serves blocks or disconnects. */
  private readonly emptySince = new Map<string, number>();
  private heard = false;

  constructor(o: SyncPeersOptions, now: () => number = Date.now) {
    this.o = o;
    this.now = now;
  }

  /** Whether any peer's height was ever heard (a claim dropped since still counts). */
  get heardAny(): boolean {
    return this.heard;
  }

  /** Peers with a claim standing. */
  get count(): number {
    return this.heights.size;
  }

  /** The highest claim standing (0 if none). */
  get best(): number {
    let best = 0;
    for (const h of this.heights.values()) best = Math.max(best, h);
    return best;
  }

  /** A peer's latest committed height, from its status message (ignored while it is distrusted). */
  claim(peer: string, height: number): void {
    this.heard = true;
    const until = this.distrusted.get(peer);
    if (until !== undefined) {
      if (this.now() < until) return;
      this.distrusted.delete(peer);
    }
    this.heights.set(peer, height);
  }

  /** Drops a peer's claimed height and ignores its claims for distrustMs. */
  distrust(peer: string): void {
    this.heights.delete(peer);
    this.distrusted.set(peer, this.now() + this.o.distrustMs);
    if (this.distrusted.size > MAX_DISTRUSTED) this.distrusted.delete(this.distrusted.keys().next().value as string);
  }

  /**
   * A peer answered no blocks: it rests busyRetryMs; once its answers have been empty for emptyAnswersMs (no
   * block served since), its claimed height is dropped for distrustMs at each further empty answer (not
   * penalised: a busy server is honest). Without that, a peer claiming a far height and never serving kept the
   * node catching up (/health 503) and restarting the sync every second.
   */
  answeredNothing(peer: string): void {
    const now = this.now();
    const since = this.emptySince.get(peer);
    if (since === undefined) this.emptySince.set(peer, now);
    else if (now - since >= this.o.emptyAnswersMs) {
      this.distrust(peer);
      return;
    }
    this.resting.set(peer, now + this.o.busyRetryMs);
  }

  /** The peer served blocks: its run of empty answers is over. */
  served(peer: string): void {
    this.emptySince.delete(peer);
  }

  /** The peer disconnected: everything about it goes, except a distrust (which outlives a reconnect). */
  forget(peer: string): void {
    this.heights.delete(peer);
    this.resting.delete(peer);
    this.emptySince.delete(peer);
  }

  /** Whether `peer`'s claim (standing, resting or not) reaches the block at `from`. */
  claims(peer: string, from: number): boolean {
    return (this.heights.get(peer) ?? 0) >= from;
  }

  /** The peers that may be asked now for the block at `from`, with their claims. */
  ahead(from: number): [peer: string, height: number][] {
    return [...this.heights].filter(([peer, h]) => h >= from && this.askable(peer));
  }

  private askable(peer: string): boolean {
    const until = this.resting.get(peer);
    if (until === undefined) return true;
    if (this.now() < until) return false;
    this.resting.delete(peer);
    return true;
  }
}

/**
 * Seconds a stranger counts as asking after its last request: the current second and the two before it. A
 * client answered "busy" rests a second (node/block-sync.ts busyRetryMs) and asks again; by then a new second
 * may have begun twice, and a stranger forgotten that soon would find the strangers that ask at the very start
 * of every second holding the whole share again.
 */
export const ACTIVE_SECONDS = 3;

/**
 * The strangers that asked for something (a sync request, a relayed batch) in the last ACTIVE_SECONDS
 * seconds: those a strangers' share is split among. Holds only the strangers of those seconds.
 */
export class RecentStrangers {
  private readonly now: () => number;
  private second = Number.NaN;
  /** Strangers seen this second, and in each of the ACTIVE_SECONDS - 1 before it (newest first). */
  private seenNow = new Set<string>();
  private seenBefore: Set<string>[] = [];
  /** The strangers in seenBefore, once each. */
  private before = new Set<string>();
  /** Of seenNow, those not in `before`: the count is before.size + this. */
  private newcomers = 0;

  /** `now`: the clock, in ms (Date.now by default: the seconds clients pace by). */
  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** `peer`, a stranger, asked for something now. */
  saw(peer: string): void {
    this.roll();
    if (this.seenNow.has(peer)) return;
    this.seenNow.add(peer);
    if (!this.before.has(peer)) this.newcomers++;
  }

  /** Strangers seen within the last ACTIVE_SECONDS seconds. */
  get count(): number {
    this.roll();
    return this.before.size + this.newcomers;
  }

  /** What one stranger may have of `share`: the share over the strangers seen (all of it when none is). */
  part(share: number): number {
    return share / Math.max(1, this.count);
  }

  private roll(): void {
    const second = Math.floor(this.now() / 1000);
    if (second === this.second) return;
    const gone = Number.isNaN(this.second) ? ACTIVE_SECONDS : second - this.second;
    this.second = second;
    // The seconds in between saw no one: as many empty ones go in as passed (at most the window).
    for (let i = 0; i < Math.min(gone, ACTIVE_SECONDS); i++) {
      this.seenBefore.unshift(i === 0 ? this.seenNow : new Set());
      this.seenNow = new Set();
    }
    this.seenBefore.length = Math.min(this.seenBefore.length, ACTIVE_SECONDS - 1);
    this.before = new Set();
    for (const seen of this.seenBefore) for (const p of seen) this.before.add(p);
    this.newcomers = 0;
  }
}

/**
 * The strangers' share of some work per second (block sync requests served; tx fetch requests, hashes looked
 * up and answer bytes), split fairly among the strangers asking for it: each may take at most the share
 * divided by the strangers that asked in the last ACTIVE_SECONDS seconds (RecentStrangers), and all of them
 * together at most the share. Counted in requests, at least one each.
 *
 * First come, first served, the share went to whichever strangers asked first in each second: four stranger ids
 * asking their own limit at the start of every second spent it, and an honest stranger (a new full node
 * syncing) was answered "busy" every time, until it gave this node up. Split this way, the four keep four
 * fifths of the share and it gets the fifth, from the second after its first refusal on. (Many more ids than
 * that still thin everyone's part out: a peer id costs nothing to make; naming fellow validators and sentries
 * in p2p.persistent_peers is what keeps them served whatever strangers do.)
 */
export class StrangerShares {
  private readonly now: () => number;
  private readonly asking: RecentStrangers;
  private second = Number.NaN;
  /** What each stranger took this second. */
  private taken = new Map<string, number>();
  private takenTotal = 0;

  /**
   * `now`: the clock, in ms (Date.now by default: the seconds the client paces by). `asking`: the strangers
   * the share is split among, when several shares of one server split by the same ones (a new one otherwise).
   */
  constructor(now: () => number = Date.now, asking: RecentStrangers = new RecentStrangers(now)) {
    this.now = now;
    this.asking = asking;
  }

  /**
   * Whether `n` more (1: one request) fits `peer`'s part of the `share` strangers get this second and the share
   * itself. Counts nothing; the stranger's asking is remembered either way: one refused is one of those the
   * share is split among.
   */
  fits(peer: string, share: number, n = 1): boolean {
    this.roll();
    this.asking.saw(peer);
    if (this.takenTotal + n > share) return false;
    return (this.taken.get(peer) ?? 0) + n <= this.fairPart(share);
  }

  /**
   * How much more `peer` may take of the `share` strangers get this second: what is left of its part and of
   * the share, whichever is less. Counts nothing; remembers the asking, as fits does.
   */
  room(peer: string, share: number): number {
    this.roll();
    this.asking.saw(peer);
    const mine = this.taken.get(peer) ?? 0;
    return Math.max(0, Math.min(share - this.takenTotal, this.fairPart(share) - mine));
  }

  /** Counts `n` more taken by `peer`. */
  count(peer: string, n = 1): void {
    this.roll();
    this.taken.set(peer, (this.taken.get(peer) ?? 0) + n);
    this.takenTotal += n;
  }

  /** fits, then count if it does: whether `peer` may take `n` more. */
  take(peer: string, share: number, n = 1): boolean {
    if (!this.fits(peer, share, n)) return false;
    this.count(peer, n);
    return true;
  }

  /** All strangers' take this second. */
  get total(): number {
    this.roll();
    return this.takenTotal;
  }

  /** Strangers that asked within the last ACTIVE_SECONDS seconds. */
  get active(): number {
    return this.asking.count;
  }

  /** What one stranger may take this second: the share over the strangers asking, at least 1. */
  fairPart(share: number): number {
    return Math.max(1, Math.floor(this.asking.part(share)));
  }

  private roll(): void {
    const second = Math.floor(this.now() / 1000);
    if (second === this.second) return;
    this.second = second;
    this.taken = new Map();
    this.takenTotal = 0;
  }
}

/**
 * Seconds a stranger counts as asking after its last request: the current second and the two before it. A
 * client answered "busy" rests a second (node/block-sync.ts busyRetryMs) and asks again; by then a new second
 * may have begun twice, and a stranger forgotten that soon would find the strangers that ask at the very start
 * of every second holding the whole share again.
 */
export const ACTIVE_SECONDS = 3;

/**
 * The most idle time one access credits a stranger for, in seconds: a stranger back after a longer spell, but
 * still remembered (ids unseen for 3-6 s are no longer among those the share is split by, but still hold
 * credit), would otherwise earn at the rate of fewer strangers than there were, and such ids came to about
 * 1.2 shares a second in a model of ids returning every 3-4 s.
 */
const EARN_SECONDS_AT_MOST = 2;

/** Milliseconds that only go forward (wall-clock steps do not move it): the default clock here. */
const monotonicMs = (): number => performance.timeOrigin + performance.now();

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

  /** `now`: the clock, in ms (monotonic by default). */
  constructor(now: () => number = monotonicMs) {
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
    // A clock stepped back (one given that can) counts as one second gone: the seconds go on, and no one is
    // forgotten early.
    const gone = Number.isNaN(this.second) ? ACTIVE_SECONDS : Math.max(1, second - this.second);
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

/** A StrangerShares' bounds: how much all strangers take a second, and one stranger at most at once. */
export interface StrangerShareBounds {
  /**
   * What all strangers together earn a second (requests, hashes, bytes, messages).
   */
  share: number;
  /** The most all strangers take in one second, of what they banked. Default: ACTIVE_SECONDS shares. */
  burst?: number;
  /** What one stranger may take at once after a quiet spell: the per-peer bound (its credit is capped there). */
  cap: number;
}

/**
 * The strangers' share of some work per second (block sync requests served; tx fetch requests, hashes looked
 * up and answer bytes; gossip messages), split fairly among the strangers asking for it. Each stranger earns
 * credit at the share over the strangers that asked in the last ACTIVE_SECONDS seconds (RecentStrangers), up
 * to `cap` (one second's worth to a stranger first seen), and takes against it; all of them together take
 * the share a second, and at most `burst` (ACTIVE_SECONDS shares by default) in any one second.
 *
 * First come, first served, the share went to whichever strangers asked first in each second: four stranger
 * ids asking their own limit at the start of every second spent it, and an honest stranger (a new full node
 * syncing) was answered "busy" every time, until it gave this node up. Split this way, the four keep four
 * fifths of the share and it gets the fifth, whatever order they ask in. Credit, not a part
 * per second: with more strangers asking than the share has units (41 ids asking one sync request at the
 * start of every second, where the share is 40), a part of "at least one a second" each made it first come,
 * first served again; credit builds up at its true rate (40/42 of a request a second) and each stranger,
 * the honest one too, gets a request about every 1.05 s. And a request larger than one second's part (a
 * whole block fetched while three strangers ask) is taken once enough credit has built up, instead of never.
 * (Ids cost nothing: many of them still thin everyone's part out; naming fellow validators and sentries in
 * p2p.persistent_peers is what keeps them served whatever strangers do.)
 */
export class StrangerShares {
  private readonly now: () => number;
  private readonly bounds: StrangerShareBounds;
  private readonly asking: RecentStrangers;
  private second = Number.NaN;
  /** All strangers' take this second. */
  private takenTotal = 0;
  /** Each stranger's credit, as of `at` (ms): strangers seen in the last ACTIVE_SECONDS seconds, about. */
  private credits = new Map<string, { credit: number; at: number }>();
  private creditsSweptAt = Number.NaN;

  /**
   * `now`: the clock, in ms (monotonic by default). `asking`: the strangers the share is split among, when
   * several shares of one server split by the same ones (a new one otherwise).
   */
  constructor(
    bounds: StrangerShareBounds,
    now: () => number = monotonicMs,
    asking: RecentStrangers = new RecentStrangers(now),
  ) {
    this.bounds = bounds;
    this.now = now;
    this.asking = asking;
  }

  /**
   * Whether `n` more (1: one request) fits `peer`'s credit and this second's share. Counts nothing; the
   * stranger's asking is remembered either way: one refused is one of those the share is split among.
   */
  fits(peer: string, n = 1): boolean {
    return n <= this.room(peer);
  }

  /**
   * How much more `peer` may take now: its credit (whole units), or what is left of this second's share,
   * whichever is less. Counts nothing; remembers the asking, as fits does.
   */
  room(peer: string): number {
    this.roll();
    this.asking.saw(peer);
    const credit = this.creditOf(peer).credit;
    const left = (this.bounds.burst ?? ACTIVE_SECONDS * this.bounds.share) - this.takenTotal;
    return Math.max(0, Math.min(left, Math.floor(credit + 1e-9)));
  }

  /** Counts `n` more taken by `peer`: from its credit and this second's share. */
  count(peer: string, n = 1): void {
    this.roll();
    this.creditOf(peer).credit -= n;
    this.takenTotal += n;
  }

  /** fits, then count if it does: whether `peer` may take `n` more. */
  take(peer: string, n = 1): boolean {
    if (!this.fits(peer, n)) return false;
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

  /** What one stranger earns a second: the share over the strangers asking. */
  get rate(): number {
    return this.asking.part(this.bounds.share);
  }

  /**
   * `peer`'s credit brought up to now: earned at `rate` since last seen (EARN_SECONDS_AT_MOST at most), up to
   * `cap`. A clock stepped back earns nothing.
   */
  private creditOf(peer: string): { credit: number; at: number } {
    const t = this.now();
    let c = this.credits.get(peer);
    if (c === undefined) {
      c = { credit: Math.min(this.bounds.cap, this.rate), at: t };
      this.credits.set(peer, c);
    } else if (t > c.at) {
      const seconds = Math.min(EARN_SECONDS_AT_MOST, (t - c.at) / 1000);
      c.credit = Math.min(this.bounds.cap, c.credit + seconds * this.rate);
      c.at = t;
    } else {
      c.at = t;
    }
    return c;
  }

  private roll(): void {
    const t = this.now();
    const second = Math.floor(t / 1000);
    if (second === this.second) return; // (a clock stepped back starts a new second, as one gone forward)
    this.second = second;
    this.takenTotal = 0;
    // Strangers not seen for the window are forgotten (a new one starts with a second's credit).
    const window = ACTIVE_SECONDS * 1000;
    if (Number.isNaN(this.creditsSweptAt) || t < this.creditsSweptAt || t - this.creditsSweptAt >= window) {
      for (const [peer, c] of this.credits) if (t - c.at >= window) this.credits.delete(peer);
      this.creditsSweptAt = t;
    }
  }
}

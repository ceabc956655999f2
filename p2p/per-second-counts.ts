/**
 * How much of one kind of work (requests, hashes looked up, answer bytes) peers have caused in the current
 * wall-clock second: each peer's count, and the count of all strangers together. A stranger is a peer the
 * operator did not name in p2p.persistent_peers (isStranger). Peer ids cost nothing to make, so a bound per
 * peer alone is multiplied by as many ids as can connect (p2p's connection limit, 100); a server that also
 * bounds strangers together bounds what any number of them costs it, while the peers it was told to trust (a
 * validator's fellow validators) are held to their own bounds and the totals only, whatever strangers send.
 * Holds only the peers counted this second.
 */
export class PerSecondCounts {
  private second = Number.NaN;
  private byPeer = new Map<string, number>();
  private strangersCount = 0;
  private readonly now: () => number;

  /** `now`: the clock, in ms (Date.now by default: a second is a wall-clock one, as the client paces by). */
  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** `peer`'s count this second. */
  of(peer: string): number {
    this.roll();
    return this.byPeer.get(peer) ?? 0;
  }

  /** All strangers' count this second. */
  get strangers(): number {
    this.roll();
    return this.strangersCount;
  }

  /**
   * Counts a request `peer` opens (every one, served or not): "ok" within `max` this second, "over" past it,
   * "flood" past three times it (no honest peer: its client paces itself below `max`).
   */
  request(peer: string, max: number): "ok" | "over" | "flood" {
    const asked = this.of(peer) + 1;
    this.count(peer, 1);
    return asked <= max ? "ok" : asked <= 3 * max ? "over" : "flood";
  }

  /** Counts `n` more for `peer` alone (what it asked, served or not: its own bound and flood checks). */
  count(peer: string, n: number): void {
    this.roll();
    this.byPeer.set(peer, (this.byPeer.get(peer) ?? 0) + n);
  }

  /** Counts `n` more for strangers together (what was served to one). */
  countStrangers(n: number): void {
    this.roll();
    this.strangersCount += n;
  }

  /**
   * Whether `n` more fits both bounds: the peer's own (`perPeer`) and, for a stranger, all strangers'
   * (`strangers`). Counts nothing.
   */
  fits(peer: string, n: number, stranger: boolean, bounds: { perPeer: number; strangers: number }): boolean {
    if (this.of(peer) + n > bounds.perPeer) return false;
    return !stranger || this.strangers + n <= bounds.strangers;
  }

  private roll(): void {
    const second = Math.floor(this.now() / 1000);
    if (second === this.second) return;
    this.second = second;
    this.byPeer = new Map();
    this.strangersCount = 0;
  }
}

/**
 * Whether a peer is a stranger, given the peers named in p2p.persistent_peers: every other one, when any is
 * named. A node that names none (a seed, an RPC node) serves strangers only, so none is held to a strangers'
 * share: it bounds them by the per-peer bounds and the totals alone.
 */
export function strangerTest(persistent: ReadonlySet<string>): (peer: string) => boolean {
  return persistent.size === 0 ? () => false : (peer) => !persistent.has(peer);
}

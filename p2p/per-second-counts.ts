/**
 * How much of one kind of work (requests, hashes looked up, answer bytes) each peer has caused in the current
 * wall-clock second: what its own bound and the flood check are held to. Peer ids cost nothing to make, so a
 * server bounds strangers (peers not named in p2p.persistent_peers, isStranger) together as well, with a
 * share split among them (p2p/stranger-shares.ts). Holds only the peers counted this second.
 */
export class PerSecondCounts {
  private second = Number.NaN;
  private byPeer = new Map<string, number>();
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

  /**
   * Counts a request `peer` opens (every one, served or not): "ok" within `max` this second, "over" past it,
   * "flood" past three times it (no honest peer: its client paces itself below `max`).
   */
  request(peer: string, max: number): "ok" | "over" | "flood" {
    const asked = this.of(peer) + 1;
    this.count(peer, 1);
    return asked <= max ? "ok" : asked <= 3 * max ? "over" : "flood";
  }

  /** Counts `n` more for `peer` (what it asked, served or not: its own bound and flood checks). */
  count(peer: string, n: number): void {
    this.roll();
    this.byPeer.set(peer, (this.byPeer.get(peer) ?? 0) + n);
  }

  private roll(): void {
    const second = Math.floor(this.now() / 1000);
    if (second === this.second) return;
    this.second = second;
    this.byPeer = new Map();
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

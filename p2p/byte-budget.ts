/**
 * A per-peer token bucket of bytes: how much of something (here: consensus messages that were of no use,
 * such as heights outside the window or repeats) a peer may send before it counts as flooding. It refills at
 * `bytesPerSecond` up to `burstBytes`; a peer over it is the caller's to penalise. Peers are forgotten once
 * their bucket is full again, so the map holds only peers that spent something recently.
 */
export interface ByteBudgetOptions {
  bytesPerSecond: number;
  burstBytes: number;
  now?: () => number;
}

const MAX_PEERS = 10_000;

export class ByteBudget {
  private readonly rate: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly spent = new Map<string, { tokens: number; atMs: number }>();

  constructor(opts: ByteBudgetOptions) {
    this.rate = opts.bytesPerSecond;
    this.burst = opts.burstBytes;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Takes `bytes` from the peer's bucket; false if that overdraws it (the bucket is emptied). */
  charge(peer: string, bytes: number): boolean {
    const now = this.now();
    const e = this.spent.get(peer);
    const tokens = e === undefined ? this.burst : Math.min(this.burst, e.tokens + ((now - e.atMs) / 1000) * this.rate);
    const left = tokens - bytes;
    this.spent.delete(peer); // re-inserted last: the oldest entries go first when the map is full
    if (left < 0) {
      this.spent.set(peer, { tokens: 0, atMs: now });
      this.trim();
      return false;
    }
    this.spent.set(peer, { tokens: left, atMs: now });
    this.trim();
    return true;
  }

  private trim(): void {
    while (this.spent.size > MAX_PEERS) this.spent.delete(this.spent.keys().next().value as string);
  }
}

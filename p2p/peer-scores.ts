import type { Logger } from "pino";

/**
 * What the node thinks of its peers. A peer that sends something no honest node sends (an oversized or
 * undecodable frame, a bad signature, a block that fails its commit) loses points and is disconnected; one
 * that falls to the ban threshold is refused for a while (the host's connection gater asks `isBanned`).
 * Persistent peers are disconnected but never banned: the operator asked for them, and a validator that
 * misbehaved once through a bug must be able to come back when it is fixed.
 */
export interface PeerScoreOptions {
  banThreshold: number;
  banMs: number;
  /** Points regained per minute of good behaviour, up to 0. */
  recoveryPerMinute: number;
}

const MAX_ENTRIES = 10_000;
/**
 * Peers whose score has recovered are forgotten at most this often: forgetting walks every entry, and a walk
 * per penalty let each offence (one per new connection) cost the node up to MAX_ENTRIES steps.
 */
export const SWEEP_INTERVAL_MS = 1_000;

export const DEFAULT_PEER_SCORES: PeerScoreOptions = { banThreshold: -100, banMs: 10 * 60_000, recoveryPerMinute: 10 };

/** How bad each kind of offence is. */
export const PENALTY = {
  /** Undecodable, oversized or unauthentic (bad signature) messages. */
  invalidMessage: 50,
  /** More messages than the rate limit allows. */
  flooding: 20,
  /** A synced block or commit that fails verification. */
  badBlock: 100,
  /** A sync request that timed out or broke off. */
  unresponsive: 5,
} as const;

interface Entry {
  score: number;
  updatedMs: number;
  bannedUntilMs: number;
}

export class PeerScores {
  private readonly entries = new Map<string, Entry>();
  private readonly opts: PeerScoreOptions;
  private readonly log: Logger;
  private readonly disconnect: (peer: string) => void;
  /** The peers named in p2p.persistent_peers. */
  readonly persistentPeers: ReadonlySet<string>;
  private readonly now: () => number;
  private lastSweepMs = -Infinity;

  constructor(opts: {
    log: Logger;
    disconnect: (peer: string) => void;
    /** The peers named in p2p.persistent_peers: never banned. */
    persistentPeers?: ReadonlySet<string>;
    options?: Partial<PeerScoreOptions>;
    now?: () => number;
  }) {
    this.opts = { ...DEFAULT_PEER_SCORES, ...opts.options };
    this.log = opts.log;
    this.disconnect = opts.disconnect;
    this.persistentPeers = opts.persistentPeers ?? new Set();
    // Monotonic by default: a ban or a recovery is a span of this process's time, not of the wall clock's (a
    // clock set by hand or by NTP moves neither; while the machine is suspended, both pause).
    this.now = opts.now ?? (() => performance.now());
  }

  /**
   * Peers remembered: each with a score below 0 or a ban, or recovered since the last sweep; MAX_ENTRIES or
   * fewer once an offence is counted (the newest may briefly make one more).
   */
  get size(): number {
    return this.entries.size;
  }

  score(peer: string): number {
    return this.current(peer)?.score ?? 0;
  }

  /**
   * Whether the operator named `peer` in p2p.persistent_peers: never banned, and served within its own bounds
   * where strangers (every other peer) share one bound together (p2p/per-second-counts.ts).
   */
  isPersistent(peer: string): boolean {
    return this.persistentPeers.has(peer);
  }

  isBanned(peer: string): boolean {
    const e = this.current(peer);
    return e !== undefined && e.bannedUntilMs > e.updatedMs; // updatedMs: the clock's reading current() took
  }

  /** Takes `points` off the peer and disconnects it; bans it if it fell to the threshold. */
  penalize(peer: string, points: number, reason: string): void {
    this.sweep();
    const e = this.current(peer) ?? { score: 0, updatedMs: this.now(), bannedUntilMs: 0 };
    e.score -= points;
    const ban = e.score <= this.opts.banThreshold && !this.isPersistent(peer);
    if (ban) e.bannedUntilMs = this.now() + this.opts.banMs;
    this.entries.set(peer, e);
    this.log.warn({ peer, reason, score: e.score, banned: ban }, "peer misbehaved: disconnecting");
    this.disconnect(peer);
  }

  /**
   * Forgets peers whose score has recovered and whose ban is over (at most once per SWEEP_INTERVAL_MS), so
   * offenders that never return go; and the oldest beyond MAX_ENTRIES.
   */
  private sweep(): void {
    const now = this.now();
    // A clock set back (now < lastSweepMs) sweeps at once rather than not until it catches up.
    if (now - this.lastSweepMs >= SWEEP_INTERVAL_MS || now < this.lastSweepMs) {
      this.lastSweepMs = now;
      for (const peer of [...this.entries.keys()]) this.current(peer);
    }
    while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }

  private current(peer: string): Entry | undefined {
    const e = this.entries.get(peer);
    if (e === undefined) return undefined;
    const now = this.now();
    // A clock that went back (an injected one) gives back nothing and takes nothing: no negative "regained",
    // and no ban longer than banMs from now.
    const regained = (Math.max(0, now - e.updatedMs) / 60_000) * this.opts.recoveryPerMinute;
    e.score = Math.min(0, e.score + regained);
    e.updatedMs = now;
    e.bannedUntilMs = Math.min(e.bannedUntilMs, now + this.opts.banMs);
    if (e.score === 0 && e.bannedUntilMs <= now) {
      this.entries.delete(peer);
      return undefined;
    }
    return e;
  }
}

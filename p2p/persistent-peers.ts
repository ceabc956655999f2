import type { PeerId } from "@libp2p/interface";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import type { Logger } from "pino";
import type { P2pHost } from "./host.ts";

/**
 * Keeps the node connected to its persistent peers (config.toml p2p.persistent_peers): dials each at start,
 * and again whenever the connection drops, with exponential backoff (capped) so a peer that is down is
 * retried without hammering it. Addresses must name the peer: /ip4/HOST/tcp/PORT/p2p/PEER_ID.
 */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minMs: 250, maxMs: 30_000 };

interface Target {
  addr: Multiaddr;
  peerId: string;
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
}

export function parsePeerAddress(text: string): { addr: Multiaddr; peerId: string } {
  let addr: Multiaddr;
  try {
    addr = multiaddr(text);
  } catch (err) {
    throw new Error(`persistent peer "${text}" is not a multiaddr: ${(err as Error).message}`, { cause: err });
  }
  const peerId = addr.getComponents().find((c) => c.name === "p2p")?.value;
  if (peerId === undefined) throw new Error(`persistent peer "${text}" must end in /p2p/<peer id>`);
  return { addr, peerId };
}

export class PersistentPeers {
  private readonly host: P2pHost;
  private readonly log: Logger;
  private readonly backoff: BackoffOptions;
  private readonly targets: Target[];
  private stopped = false;
  private readonly onDisconnect = (e: CustomEvent<PeerId>) => {
    const target = this.targets.find((t) => t.peerId === e.detail.toString());
    if (target === undefined || this.stopped) return;
    this.log.info({ peer: target.peerId }, "lost connection to persistent peer; redialling");
    this.schedule(target, target.backoffMs);
  };

  constructor(host: P2pHost, addresses: string[], logger: Logger, backoff: BackoffOptions = DEFAULT_BACKOFF) {
    this.host = host;
    this.log = logger;
    this.backoff = backoff;
    this.targets = addresses
      .map(parsePeerAddress)
      .filter((p) => p.peerId !== host.peerId.toString()) // never dial ourselves
      .map((p) => ({ ...p, backoffMs: backoff.minMs, timer: undefined }));
  }

  start(): void {
    this.host.addEventListener("peer:disconnect", this.onDisconnect);
    for (const t of this.targets) this.schedule(t, 0);
  }

  stop(): void {
    this.stopped = true;
    this.host.removeEventListener("peer:disconnect", this.onDisconnect);
    for (const t of this.targets) clearTimeout(t.timer);
  }

  private schedule(target: Target, delayMs: number): void {
    if (this.stopped || target.timer !== undefined) return;
    target.timer = setTimeout(() => {
      target.timer = undefined;
      void this.dial(target);
    }, delayMs);
  }

  private async dial(target: Target): Promise<void> {
    if (this.stopped) return;
    try {
      await this.host.dial(target.addr);
      target.backoffMs = this.backoff.minMs;
      this.log.info({ peer: target.peerId }, "connected to persistent peer");
    } catch (err) {
      this.log.debug({ peer: target.peerId, err: (err as Error).message, retryMs: target.backoffMs }, "dial failed");
      const wait = target.backoffMs;
      target.backoffMs = Math.min(this.backoff.maxMs, target.backoffMs * 2);
      this.schedule(target, wait);
    }
  }
}

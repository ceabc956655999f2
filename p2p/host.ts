import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { type Identify, identify } from "@libp2p/identify";
import type { PeerId, PrivateKey } from "@libp2p/interface";
import { type Ping, ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { createLibp2p, type Libp2p } from "libp2p";
import { installYamuxWindowUpdates } from "./yamux-window-updates.ts";

/**
 * The node's libp2p host: TCP, noise, yamux, identify, ping. The node's own protocols (consensus gossip, tx
 * gossip, block sync) are registered on it by node/network.ts. Any libp2p peer can connect, authenticate the
 * node id and identify it; banned peers are refused by the connection gater.
 */
export interface P2pHostOptions {
  privateKey: PrivateKey;
  /** Multiaddrs to listen on, e.g. /ip4/127.0.0.1/tcp/26656 (tcp/0 for any free port). */
  listen: string[];
  /** Version string peers see through identify. */
  agentVersion: string;
  /** Connection limits, set deliberately rather than left to libp2p's defaults. */
  limits?: Partial<P2pLimits>;
  /** Peers refused at dial and at the handshake (p2p/peer-scores.ts). */
  isBanned?: (peerId: string) => boolean;
  /** Peers whose record the peer store keeps while they are not connected (the persistent peers). */
  keepRecordOf?: (peerId: string) => boolean;
}

export interface P2pLimits {
  maxConnections: number;
  /** New inbound connections accepted per second from one host. libp2p's default (5) trips when every
   * validator of a local devnet dials from 127.0.0.1. */
  inboundConnectionThreshold: number;
  maxIncomingPendingConnections: number;
}

export const DEFAULT_P2P_LIMITS: P2pLimits = {
  maxConnections: 100,
  inboundConnectionThreshold: 50,
  maxIncomingPendingConnections: 20,
};

export type P2pHost = Libp2p<{ identify: Identify; ping: Ping }>;

export async function createP2pHost(opts: P2pHostOptions): Promise<P2pHost> {
  installYamuxWindowUpdates(); // a window update per half window used, not per frame (see there)
  const limits = { ...DEFAULT_P2P_LIMITS, ...opts.limits };
  const host = await createLibp2p({
    privateKey: opts.privateKey,
    nodeInfo: { name: "opl", version: opts.agentVersion, userAgent: `opl/${opts.agentVersion}` },
    addresses: { listen: opts.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: limits.maxConnections,
      inboundConnectionThreshold: limits.inboundConnectionThreshold,
      maxIncomingPendingConnections: limits.maxIncomingPendingConnections,
    },
    // libp2p pings every peer every 10 s and drops the connection if a ping takes longer than a timeout
    // of at least 5 s. A ping waits behind megabytes of blocks on a busy link, or behind a validator's
    // multi-second block commit, and dropping a validator link loses every message in flight: allow 20 s.
    connectionMonitor: { pingTimeout: { minTimeout: 20_000, maxTimeout: 60_000 } },
    connectionGater: {
      denyDialPeer: (peer) => opts.isBanned?.(peer.toString()) ?? false,
      denyInboundEncryptedConnection: (peer) => opts.isBanned?.(peer.toString()) ?? false,
    },
    services: { identify: identify(), ping: ping() },
  });
  forgetPeersGone(host, opts.keepRecordOf ?? (() => false));
  return host;
}

/**
 * Deletes a peer's record from libp2p's peer store once the peer has no connection, unless `keep` says
 * otherwise. The store (in memory) keeps what identify learnt of every peer that ever connected (its
 * protocols, addresses, agent and signed record: up to 8 KiB) and expires one only when that peer is read
 * again after 6 hours, so a stranger connecting under fresh ids (free to make; 50 connections a second are
 * accepted from one host) grew it without bound. Identify may write a record just after its connection
 * closed: that update is caught too. The delete waits FORGET_AFTER_MS: libp2p's registrar reads the record
 * when the peer disconnects, to tell the protocols' topologies (a gossip stream's onDisconnect), and a
 * delete before that read would skip them. The node dials only by full multiaddr, so no dial needs a record.
 */
function forgetPeersGone(host: P2pHost, keep: (peerId: string) => boolean): void {
  const forget = (peer: PeerId) => {
    if (keep(peer.toString()) || host.getConnections(peer).length > 0) return;
    setTimeout(() => {
      if (host.status !== "started" || host.getConnections(peer).length > 0) return; // back meanwhile, or stopped
      host.peerStore.delete(peer).catch(() => {}); // an in-memory store: a failure is libp2p stopping
    }, FORGET_AFTER_MS).unref();
  };
  host.addEventListener("peer:disconnect", (e) => forget(e.detail));
  host.addEventListener("peer:update", (e) => forget(e.detail.peer.id));
}

/** How long after a peer's last connection closed its record is deleted (see forgetPeersGone). */
const FORGET_AFTER_MS = 1000;

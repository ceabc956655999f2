/** One libp2p connection of the node, as RpcContext.peers() gives them (a peer may have several). */
export interface PeerConnection {
  nodeId: string;
  address: string;
  direction: string;
}

/** A peer as node_getPeers shows it: once, with every open connection to it. */
export interface PeerView {
  nodeId: string;
  /** The first connection's address and direction (as before peers had a list of connections). */
  address: string;
  direction: string;
  connections: { address: string; direction: string }[];
}

/**
 * Connections grouped by peer, in the order each peer first appears. Two connections to one peer are normal
 * (both sides dialled at once, or a redial before the old connection closed); listing each as a peer made
 * node_getPeers count one peer twice.
 */
export function peersOnce(connections: readonly PeerConnection[]): PeerView[] {
  const byId = new Map<string, PeerView>();
  for (const c of connections) {
    const seen = byId.get(c.nodeId);
    const connection = { address: c.address, direction: c.direction };
    if (seen === undefined) byId.set(c.nodeId, { ...connection, nodeId: c.nodeId, connections: [connection] });
    else seen.connections.push(connection);
  }
  return [...byId.values()];
}

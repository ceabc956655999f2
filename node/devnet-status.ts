/** What the devnet launcher and the test harness need from a node's node_getStatus. */
export interface NodeStatusSummary {
  chainId: string;
  nodeId: string;
  moniker: string;
  latestHeight: number;
  catchingUp: boolean;
  p2pAddresses: string[];
}

/**
 * node_getStatus of the node at `url`, or undefined if it does not answer within `timeoutMs`. The timeout
 * matters: a stopped (SIGSTOP) node accepts connections but never replies, and must read as "not answering".
 */
export async function fetchNodeStatus(url: string, timeoutMs = 1000): Promise<NodeStatusSummary | undefined> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "node_getStatus", params: {} }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const reply = (await res.json()) as { result?: NodeStatusSummary };
    return reply.result;
  } catch {
    return undefined;
  }
}

export type NodeView =
  | { name: string; state: "up"; height: number }
  | { name: string; state: "down" } // its process exited
  | { name: string; state: "silent" }; // running, but its RPC did not answer in time

/** "node0 h=12 | node1 h=12 | node2 down | node3 no answer" */
export function formatHeights(views: NodeView[]): string {
  return views
    .map((v) => (v.state === "up" ? `${v.name} h=${v.height}` : `${v.name} ${v.state === "down" ? "down" : "no answer"}`))
    .join(" | ");
}

/** What the RPC port serves, for GET / (a client discovering the node) and the page a browser gets there. */
export interface Endpoint {
  method: "GET" | "POST";
  path: string;
  description: string;
}

export interface NodeDescription {
  name: string;
  version: string;
  chainId: string;
  nodeId: string;
  endpoints: Endpoint[];
  /** The JSON-RPC methods POST / answers. */
  rpcMethods: string[];
}

/** The endpoints of the RPC port; /metrics only while it is not on a listener of its own ([metrics] listen). */
export function rpcEndpoints(opts: { metrics: boolean }): Endpoint[] {
  return [
    { method: "POST", path: "/", description: "JSON-RPC 2.0: a request or a batch as the JSON body" },
    { method: "GET", path: "/", description: "this description (Accept: application/json), or the explorer for a browser" },
    { method: "GET", path: "/explorer/", description: "the explorer's files (a fixed list: scripts, styles)" },
    { method: "GET", path: "/ws", description: "JSON-RPC 2.0 over WebSocket, with subscribe / unsubscribe" },
    { method: "GET", path: "/health", description: "200 when caught up and making blocks, else 503 with the reasons" },
    ...(opts.metrics
      ? [{ method: "GET" as const, path: "/metrics", description: "Prometheus metrics (text format 0.0.4)" }]
      : []),
  ];
}

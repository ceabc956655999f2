import type { IncomingHttpHeaders } from "node:http";
import { isIP } from "node:net";
import { allowedOrigin } from "./cors.ts";

/**
 * DNS rebinding: a page of evil.example whose name the attacker's DNS then points at this node (127.0.0.1, a
 * LAN address) is the same origin as the node for the browser, so CORS does not stop it: it may POST JSON-RPC,
 * open /ws and read every answer. What gives it away is the Host header, evil.example:PORT, a name the node
 * was never given. Both the HTTP server (rpc/server.ts) and the WebSocket upgrade (rpc/ws/gateway.ts) refuse
 * such browser requests through browserHostRefusal.
 */

/** The names this node is reached by without an attacker's DNS. */
export interface NodeHostNames {
  /** rpc.listen's host (an IP, a wildcard address, localhost or a name the operator bound to). */
  listenHost: string;
  /** rpc.cors_allowed_origins: their hosts are names the operator serves pages of the node under. */
  allowedOrigins: readonly string[];
}

/**
 * Whether `host` (a Host header: name[:port]) is a name of this node: localhost, any IP literal (the listen
 * address, 127.0.0.1, [::1], a LAN address: an attacker's page cannot have an IP as its origin's host and a
 * rebound name at once), rpc.listen's host, and the hosts of rpc.cors_allowed_origins.
 */
export function nodeHostName(host: string, names: NodeHostNames): boolean {
  const name = hostnameOf(`http://${host}`);
  if (name === undefined) return false;
  if (name === "localhost" || isIP(name.replace(/^\[(.*)\]$/, "$1")) !== 0) return true;
  if (name === hostnameOf(`http://${names.listenHost}`)) return true;
  return names.allowedOrigins.some((o) => o !== "*" && hostnameOf(o) === name);
}

/**
 * Why a request is refused as DNS rebinding, or undefined when it is not: one with an Origin (a browser's:
 * every browser sends it on a POST, a preflight and a WebSocket upgrade, "null" when the page hides it) whose
 * Host is no name of the node, unless rpc.cors_allowed_origins allows that origin anyway (its pages may call
 * the node and read the answers through CORS, "*" any page). A request without Origin is not a browser's
 * (the CLI, curl, a proxy's health check): it is served whatever name it reached the node by.
 */
export function browserHostRefusal(headers: IncomingHttpHeaders, names: NodeHostNames): string | undefined {
  const origin = headers.origin;
  if (origin === undefined || allowedOrigin(origin, names.allowedOrigins) !== undefined) return undefined;
  const host = headers.host;
  if (host !== undefined && nodeHostName(host, names)) return undefined;
  return (
    `refused: a page of ${origin} reached this node under the name ${host ?? "(no Host header)"}, which is not one of ` +
    "its names (localhost, an IP address, rpc.listen's host or a host of rpc.cors_allowed_origins); a page whose DNS " +
    "name was pointed at the node (DNS rebinding) looks like this. To serve pages under that name, add their origin " +
    `(${origin === "null" ? "scheme://host:port" : origin}) to rpc.cors_allowed_origins`
  );
}

function hostnameOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

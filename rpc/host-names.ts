import type { IncomingHttpHeaders } from "node:http";
import { isIP } from "node:net";
import { allowedOrigin } from "./cors.ts";

/**
 * DNS rebinding: a page of evil.example whose name the attacker's DNS then points at this node (127.0.0.1, a
 * LAN address) is the same origin as the node for the browser, so CORS does not stop it: it may POST JSON-RPC,
 * open /ws and read every answer. What gives it away is the Host header, evil.example:PORT, a name the node
 * was never given. The HTTP server (rpc/server.ts), the WebSocket upgrade (rpc/ws/gateway.ts) and the separate
 * metrics listener (rpc/metrics-server.ts) refuse such browser requests through browserHostRefusal.
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
 * Why a request is refused as DNS rebinding, or undefined when it is not: a browser's request whose Host is no
 * name of the node, unless rpc.cors_allowed_origins allows its origin anyway (its pages may call the node and
 * read the answers through CORS; "*" any page, so then nothing is refused). A request that is not a browser's
 * (browserRequest: the CLI, curl, scripts, Prometheus, a proxy's health check) is served whatever name it
 * reached the node by.
 */
export function browserHostRefusal(headers: IncomingHttpHeaders, names: NodeHostNames): string | undefined {
  if (!browserRequest(headers)) return undefined;
  const origin = headers.origin;
  const allowed = origin === undefined
    ? names.allowedOrigins.includes("*")
    : allowedOrigin(origin, names.allowedOrigins) !== undefined;
  if (allowed) return undefined;
  const host = headers.host;
  if (host !== undefined && nodeHostName(host, names)) return undefined;
  const page = origin ?? "its own origin";
  return (
    `refused: a page of ${page} reached this node under the name ${host ?? "(no Host header)"}, which is not one of ` +
    "its names (localhost, an IP address, rpc.listen's host or a host of rpc.cors_allowed_origins); a page whose DNS " +
    "name was pointed at the node (DNS rebinding) looks like this. To serve pages under that name, add their origin " +
    `(${origin === undefined || origin === "null" ? "scheme://host:port" : origin}) to rpc.cors_allowed_origins`
  );
}

/**
 * Whether a request is a browser's, one that a page may have made: it has an Origin (every browser sends one on
 * a POST, a preflight and a WebSocket upgrade; "null" when the page hides it), or a Sec-Fetch-Site other than
 * "none" (what browsers send over https and to localhost, also on a same-origin GET; "none" is a person
 * opening the address, no page's doing), or, without Sec-Fetch-Site, a browser's User-Agent ("Mozilla/..."):
 * over plain http to a name such as evil.example, Chromium sends neither header on a same-origin GET (a page's
 * fetch of /metrics, or an iframe of the explorer it then reads), only its User-Agent, which Chromium and
 * Safari do not let a page change. Firefox does (fetch's headers): a Firefox page over plain http that sets
 * its own User-Agent on a GET is not told apart from a script.
 */
function browserRequest(headers: IncomingHttpHeaders): boolean {
  if (headers.origin !== undefined) return true;
  const site = headers["sec-fetch-site"];
  if (site !== undefined) return site !== "none";
  return headers["user-agent"]?.startsWith("Mozilla/") === true;
}

function hostnameOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

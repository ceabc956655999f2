import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Cross-origin access for browser apps served from elsewhere (rpc.cors_allowed_origins). Empty (the default)
 * sends no CORS header at all, so browsers keep other sites' pages from reading the node's answers; an origin
 * listed (scheme://host[:port], exactly as the browser sends it) may call POST / and the GET routes, and "*"
 * lets any page do so. Nothing is allowed but the methods the node serves and the content-type header, and no
 * credentials: the node has no cookies or sessions to protect.
 */

/** The methods a page may use, as named in preflight answers (and the Allow header of a 405). */
export const ALLOWED_METHODS = "GET, POST, OPTIONS";

/** How long a browser may reuse a preflight answer, in seconds (Chromium caps it at 7200). */
export const CORS_MAX_AGE_SECONDS = 7200;

/** What rpc.cors_allowed_origins accepts: "*" or an origin without a path (https://app.example:8443). */
export const ORIGIN_PATTERN = /^(\*|https?:\/\/[^/\s?#]+)$/;

/** The Access-Control-Allow-Origin value for a request from `origin`, or undefined when it is not allowed. */
export function allowedOrigin(origin: string | undefined, allowed: readonly string[]): string | undefined {
  if (allowed.includes("*")) return "*";
  if (origin === undefined || !allowed.includes(origin)) return undefined;
  return origin;
}

/**
 * Puts the CORS headers on the answer to come (set before anything is written, so every answer, errors
 * included, carries them), and answers an OPTIONS request itself: a preflight. Returns true when it answered.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, allowed: readonly string[]): boolean {
  const origin = allowedOrigin(req.headers.origin, allowed);
  // An answer that names one origin differs by origin: caches must keep them apart.
  if (allowed.length > 0 && !allowed.includes("*")) res.setHeader("vary", "Origin");
  if (origin !== undefined) res.setHeader("access-control-allow-origin", origin);
  if (req.method !== "OPTIONS") return false;
  if (origin !== undefined) {
    res.setHeader("access-control-allow-methods", ALLOWED_METHODS);
    res.setHeader("access-control-allow-headers", "content-type");
    res.setHeader("access-control-max-age", String(CORS_MAX_AGE_SECONDS));
  }
  res.writeHead(204, { allow: ALLOWED_METHODS });
  res.end();
  req.resume();
  return true;
}

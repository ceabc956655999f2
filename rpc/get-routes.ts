import type { IncomingMessage, ServerResponse } from "node:http";
import type { NodeDescription } from "./endpoints.ts";
import { EXPLORER_CSP, type StaticFile } from "./explorer-files.ts";
import { requestPath } from "./request-path.ts";

/**
 * The GET side of the node's HTTP ports: GET / (the explorer's page for a browser, else what the port serves),
 * the explorer's files, /health and /metrics; every other
 * path is 404 with a JSON body. A route left out here is 404 too (a metrics-only listener has just /metrics).
 * The answers are small and bounded (the metrics' label sets are), and are made only once the request got
 * through the server's connection limits, like a POST.
 */
export interface GetRoutes {
  describe?: () => NodeDescription;
  /** healthy: 200, else 503; the report is the body either way. */
  health?: () => { healthy: boolean };
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** The explorer's files by path (rpc/explorer-files.ts): "/" is its page, for a browser. */
  explorer?: ReadonlyMap<string, StaticFile>;
}

/** Answers one GET (or HEAD) request; resolves once the answer is written. */
export async function answerGet(req: IncomingMessage, res: ServerResponse, routes: GetRoutes): Promise<void> {
  const path = requestPath(req.url) ?? "";
  const file = path === "/" && !wantsHtml(req.headers.accept) ? undefined : routes.explorer?.get(path);
  if (file !== undefined) {
    sendFile(req, res, file);
    return;
  }
  if (path === "/" && routes.describe !== undefined) {
    sendJson(res, 200, routes.describe());
    return;
  }
  if (path === "/health" && routes.health !== undefined) {
    const report = routes.health();
    sendJson(res, report.healthy ? 200 : 503, report);
    return;
  }
  if (path === "/metrics" && routes.metrics !== undefined) {
    const { contentType, body } = await routes.metrics();
    send(res, 200, contentType, body);
    return;
  }
  sendJson(res, 404, { error: `no such path: GET ${path.slice(0, 200)} (GET / lists what this port serves)` });
}

/** A browser asks for HTML and names no JSON; curl and fetch ("*\/*") get JSON. */
function wantsHtml(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes("text/html") && !accept.includes("application/json");
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, "application/json", JSON.stringify(value));
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** One of the explorer's files, or 304 when the browser's copy is current (its ETag). */
function sendFile(req: IncomingMessage, res: ServerResponse, file: StaticFile): void {
  const headers = {
    "content-security-policy": EXPLORER_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
    "etag": file.etag,
  };
  if (req.headers["if-none-match"] === file.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, "content-type": file.contentType, "content-length": file.body.byteLength });
  res.end(file.body);
}

import type { IncomingMessage, ServerResponse } from "node:http";
import type { NodeDescription } from "./endpoints.ts";

/**
 * The GET side of the node's HTTP ports: GET / (what the port serves), /health and /metrics; every other
 * path is 404 with a JSON body. A route left out here is 404 too (a metrics-only listener has just /metrics).
 * The answers are small and bounded (the metrics' label sets are), and are made only once the request got
 * through the server's connection limits, like a POST.
 */
export interface GetRoutes {
  describe?: () => NodeDescription;
  /** healthy: 200, else 503; the report is the body either way. */
  health?: () => { healthy: boolean };
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/** Answers one GET (or HEAD) request; resolves once the answer is written. */
export async function answerGet(req: IncomingMessage, res: ServerResponse, routes: GetRoutes): Promise<void> {
  const path = new URL(req.url ?? "/", "http://node").pathname;
  if (path === "/" && routes.describe !== undefined) {
    const description = routes.describe();
    if (wantsHtml(req.headers.accept)) send(res, 200, "text/html; charset=utf-8", page(description));
    else sendJson(res, 200, description);
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

/** A minimal page for a person who opened the port in a browser (the explorer is to come). */
function page(d: NodeDescription): string {
  const rows = d.endpoints.map((e) => {
    const path = e.method === "GET" && e.path !== "/" ? `<a href="${e.path}">${e.path}</a>` : e.path;
    return `<li><code>${e.method} ${path}</code>: ${escapeHtml(e.description)}</li>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(d.name)} ${escapeHtml(d.chainId)}</title></head>
<body><h1>${escapeHtml(d.name)} ${escapeHtml(d.version)}</h1>
<p>Chain <code>${escapeHtml(d.chainId)}</code>, node <code>${escapeHtml(d.nodeId)}</code>. A block explorer is to come; for
now this port serves:</p>
<ul>
${rows.join("\n")}
</ul>
<p>${d.rpcMethods.length} JSON-RPC methods: ${d.rpcMethods.map((m) => `<code>${escapeHtml(m)}</code>`).join(", ")}.</p>
</body></html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The explorer (explorer/ in the repo): a web app of plain ES modules that the RPC port serves as they are,
 * for GET / from a browser and GET /explorer/<file>. Only the files of this fixed list are served, read once
 * at start-up into memory: no request path ever reaches the file system, so none can walk out of the folder,
 * and an answer costs no disk read. test/integration/explorer-serving.test.ts checks the list against the
 * folder, so a file added there and not here fails a test rather than a page.
 */
export const EXPLORER_DIR = fileURLToPath(new URL("../explorer/", import.meta.url));

/** Where the files are served: /explorer/app.js, /explorer/pages/block.js... */
export const EXPLORER_PREFIX = "/explorer/";

export const EXPLORER_FILES = [
  "index.html",
  "style.css",
  "favicon.svg",
  "app.js",
  "dom.js",
  "format.js",
  "merkle.js",
  "rpc.js",
  "search.js",
  "lineage-graph.js",
  "pages/account.js",
  "pages/block.js",
  "pages/chain.js",
  "pages/contribution.js",
  "pages/datanets.js",
  "pages/inference.js",
  "pages/models.js",
  "pages/search.js",
  "pages/tx.js",
] as const;

const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  svg: "image/svg+xml",
};

/**
 * Scripts and styles only from this port's own files (no inline script or style, no eval), data only from its
 * JSON-RPC and WebSocket ('self' covers ws: on the same host), nothing framed or framing.
 */
export const EXPLORER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export interface StaticFile {
  body: Buffer;
  contentType: string;
  /** A strong validator of the body: the browser revalidates (no-cache) and gets 304 while it is unchanged. */
  etag: string;
}

/** The served files by request path ("/explorer/app.js"); "/" is index.html, for a browser asking for a page. */
export function loadExplorerFiles(dir = EXPLORER_DIR): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of EXPLORER_FILES) {
    const body = readFileSync(`${dir}${name}`);
    const contentType = CONTENT_TYPES[name.slice(name.lastIndexOf(".") + 1)];
    const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 32)}"`;
    files.set(`${EXPLORER_PREFIX}${name}`, { body, contentType, etag });
  }
  files.set("/", files.get(`${EXPLORER_PREFIX}index.html`) as StaticFile);
  return files;
}

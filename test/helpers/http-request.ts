import { request } from "node:http";

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP request with exactly the method and headers given (fetch would add or refuse some, such as Origin),
 * on a connection of its own; resolves with the status, the headers (lower-case names) and the body as text.
 */
export function httpRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    // A body's length is always declared (Node would send a GET's body with neither a length nor chunks).
    const length = opts.body === undefined ? {} : { "content-length": String(Buffer.byteLength(opts.body)) };
    const headers = { ...length, ...opts.headers };
    const req = request(url, { method: opts.method ?? "GET", headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** The Access-Control-* headers of an answer (none when the node does not allow the origin). */
export function corsHeaders(a: HttpAnswer): Record<string, string> {
  return Object.fromEntries(
    Object.entries(a.headers)
      .filter(([k]) => k.startsWith("access-control-"))
      .map(([k, v]) => [k, String(v)]),
  );
}

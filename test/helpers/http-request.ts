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
  opts: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    // A body's length is always declared (Node would send a GET's body with neither a length nor chunks).
    const length = opts.body === undefined ? {} : { "content-length": String(Buffer.byteLength(opts.body)) };
    const headers = { ...length, ...opts.headers };
    const { localAddress } = opts;
    const req = request(url, { method: opts.method ?? "GET", headers, agent: false, localAddress }, (res) => {
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

/**
 * POSTs a JSON-RPC body from `localAddress` (another loopback address, such as 127.0.0.2: another client as far
 * as the node's per-address rules go); resolves with the parsed answer.
 */
export async function postFrom(localAddress: string, url: string, body: unknown): Promise<unknown> {
  const headers = { "content-type": "application/json" };
  const answer = await httpRequest(url, { method: "POST", headers, body: JSON.stringify(body), localAddress });
  return JSON.parse(answer.body);
}

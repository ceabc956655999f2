/**
 * The path of a request target as the node's routes compare it: `req.url` up to its query or fragment, or
 * undefined when it is not an origin-form path ("/..."). Read without `new URL`, which throws on targets a
 * stranger may send (`//`, `///`, `//a b`): thrown in the HTTP server's upgrade listener, that error ended the
 * process (a WebSocket upgrade of `GET //`), and in a GET it answered 500 and logged an error per request.
 */
export function requestPath(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  // The absolute form (a proxy's: http://host:port/path) names the same path.
  const absolute = /^https?:\/\/[^/?#]*/i.exec(url);
  const target = absolute === null ? url : url.slice(absolute[0].length) || "/";
  if (!target.startsWith("/")) return undefined;
  const end = target.search(/[?#]/);
  return end < 0 ? target : target.slice(0, end);
}

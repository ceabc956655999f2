/**
 * The path of a request target as the node's routes compare it: `req.url` up to its query or fragment, or
 * undefined when it is not an origin-form path ("/..."). Read without `new URL`, which throws on targets a
 * stranger may send (`//`, `///`, `//a b`): thrown in the HTTP server's upgrade listener, that error ended the
 * process (a WebSocket upgrade of `GET //`), and in a GET it answered 500 and logged an error per request.
 */
export function requestPath(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith("/")) return undefined;
  const end = url.search(/[?#]/);
  return end < 0 ? url : url.slice(0, end);
}

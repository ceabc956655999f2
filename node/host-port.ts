/** A listen address's host and port: "HOST:PORT", or "[IPV6]:PORT" (the brackets are dropped). */
export function splitHostPort(listen: string): [string, number] {
  const i = listen.lastIndexOf(":");
  const host = listen.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(listen.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid listen address "${listen}" (expected HOST:PORT)`);
  }
  return [host, port];
}

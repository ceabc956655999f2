import { isIPv6 } from "node:net";

/**
 * Whom a connection counts against for the per-address connection limit: its IPv4 address, or the /64 of an
 * IPv6 address (one host is routinely given a whole /64, so counting single IPv6 addresses would let it open
 * as many connections as it likes). An IPv4 address mapped into IPv6 (::ffff:a.b.c.d) is its IPv4 address.
 */
export function clientKey(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
  if (mapped !== null) return mapped[1];
  if (!isIPv6(remoteAddress)) return remoteAddress;
  return `${expandIPv6(remoteAddress).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped, "::" filled in). */
function expandIPv6(address: string): string[] {
  const [head, tail] = address.split("%")[0].split("::") as [string, string | undefined];
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((g) => (Number.parseInt(g, 16) || 0).toString(16));
}

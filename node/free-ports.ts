import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";

/** Where free ports are looked for when the OS's ephemeral range is known: below it, above the well-known ports. */
const LOWEST_PICKED_PORT = 10_000;
/** Random ports tried per port wanted before giving up (a port may be in use by a listener). */
const TRIES_PER_PORT = 50;

/**
 * The OS's ephemeral port range (Linux: /proc/sys/net/ipv4/ip_local_port_range), or undefined where it cannot be
 * read. Every outgoing connection and every bind to port 0 takes its local port from this range.
 */
export function ephemeralPortRange(): { low: number; high: number } | undefined {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! <= high!) return { low: low!, high: high! };
  } catch {
    // not Linux, or /proc not mounted: fall back to the OS's choice
  }
  return undefined;
}

/**
 * `count` distinct TCP ports on `host` that were free a moment ago, all held open together while they are
 * picked (so none is handed out twice), then released for the caller to bind.
 *
 * Why below the ephemeral range: a port picked inside it (as binding port 0 does) can be taken, before the
 * caller binds it, by any outgoing connection on the machine, since each takes its local port from that range;
 * on a machine running many loopback connections (a test suite, a devnet) that happens. A port below the range
 * can only be taken by a program that binds that very number. Where the range is unknown, the OS picks (port 0).
 */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const range = ephemeralPortRange();
  const servers: Server[] = [];
  try {
    if (range !== undefined && range.low - LOWEST_PICKED_PORT >= 4 * count) {
      const taken = new Set<number>();
      for (let i = 0; i < count; i++) {
        const server = await listenOnRandomPort(host, LOWEST_PICKED_PORT, range.low - 1, taken);
        servers.push(server);
        taken.add(portOf(server));
      }
    } else {
      for (let i = 0; i < count; i++) servers.push(await listen(host, 0));
    }
    const ports = servers.map(portOf);
    if (new Set(ports).size !== ports.length) throw new Error(`the OS handed out a port twice: ${ports.join(", ")}`);
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

async function listenOnRandomPort(host: string, low: number, high: number, taken: Set<number>): Promise<Server> {
  let lastError: unknown;
  for (let tries = 0; tries < TRIES_PER_PORT; tries++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (taken.has(port)) continue;
    try {
      return await listen(host, port);
    } catch (e) {
      lastError = e;
    }
  }
  throw new Error(`no free port on ${host} in ${low}-${high} after ${TRIES_PER_PORT} tries: ${String(lastError)}`);
}

function listen(host: string, port: number): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

function portOf(server: Server): number {
  return (server.address() as { port: number }).port;
}

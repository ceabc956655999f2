import { createServer, type Server } from "node:net";

/**
 * `count` distinct TCP ports on `host` that were free a moment ago: each is bound to port 0 (the OS picks)
 * and all are held open together, so the OS cannot hand out one port twice, then released. Another program
 * could still take one before the caller binds it; the caller reports that as an ordinary listen error.
 */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      servers.push(
        await new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, host, () => resolve(server));
        }),
      );
    }
    const ports = servers.map((s) => (s.address() as { port: number }).port);
    if (new Set(ports).size !== ports.length) throw new Error(`the OS handed out a port twice: ${ports.join(", ")}`);
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

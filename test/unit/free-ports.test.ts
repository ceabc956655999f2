import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { ephemeralPortRange, freePorts } from "../../node/free-ports.ts";

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

describe("freePorts", () => {
  it("gives distinct ports that the caller can bind", async () => {
    const ports = await freePorts(8);
    expect(new Set(ports).size).toBe(8);
    for (const port of ports) expect(await bindable(port)).toBe(true);
  });

  // A devnet's ports are chosen before its nodes bind them; a port inside the ephemeral range can be taken in
  // between by any outgoing connection (CI once failed a test with EADDRINUSE this way).
  it("picks ports below the OS's ephemeral range, where no outgoing connection takes its local port", async () => {
    const range = ephemeralPortRange();
    expect(range, "this test runs on Linux, where /proc/sys/net/ipv4/ip_local_port_range exists").toBeDefined();
    const ports = await freePorts(8);
    for (const port of ports) {
      expect(port).toBeLessThan(range!.low);
      expect(port).toBeGreaterThanOrEqual(10_000);
    }
  });
});

import { connect, type Socket } from "node:net";
import pino from "pino";
import { afterEach, expect, it } from "vitest";
import { METRICS_MAX_CONNECTIONS_PER_IP, MetricsServer } from "../../rpc/metrics-server.ts";

/**
 * The separate [metrics] listener caps connections per client address, not only in total: one client can
 * no longer take all of its connections and lock the scraper out.
 */

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A raw connection that sends GET /metrics with keep-alive, and the first answer's status line. */
function scrape(port: number): Promise<{ socket: Socket; status: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    stops.push(async () => void socket.destroy());
    let text = "";
    socket.on("error", reject);
    socket.on("data", (d) => {
      text += d.toString();
      if (text.includes("\r\n")) resolve({ socket, status: text.split("\r\n")[0] });
    });
    socket.on("close", () => resolve({ socket, status: text.split("\r\n")[0] || "closed" }));
    socket.write("GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: keep-alive\r\n\r\n");
  });
}

it(`answers at most ${METRICS_MAX_CONNECTIONS_PER_IP} connections from one address at a time, 503 beyond`, async () => {
  const server = new MetricsServer({
    host: "127.0.0.1",
    port: 0,
    metrics: async () => ({ contentType: "text/plain", body: "opl_up 1\n" }),
    headerTimeoutMs: 5000,
    requestTimeoutMs: 5000,
    idleTimeoutMs: 5000,
    hostNames: { listenHost: "127.0.0.1", allowedOrigins: [] },
    logger: pino({ level: "silent" }),
  });
  const { port } = await server.listen();
  stops.push(() => server.close());
  const open: { socket: Socket; status: string }[] = [];
  for (let i = 0; i < METRICS_MAX_CONNECTIONS_PER_IP; i++) open.push(await scrape(port));
  expect(open.map((o) => o.status)).toEqual(open.map(() => "HTTP/1.1 200 OK"));
  expect((await scrape(port)).status).toBe("HTTP/1.1 503 Service Unavailable");
  // One closes: there is room again for this address.
  const closed = new Promise((resolve) => open[0].socket.once("close", resolve));
  open[0].socket.destroy();
  await closed;
  const deadline = Date.now() + 5000;
  let again = await scrape(port);
  while (again.status !== "HTTP/1.1 200 OK" && Date.now() < deadline) again = await scrape(port);
  expect(again.status).toBe("HTTP/1.1 200 OK");
});

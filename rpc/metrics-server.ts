import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Logger } from "pino";
import { ConnectionsPerClient } from "./connections-per-client.ts";
import { answerGet } from "./get-routes.ts";
import { browserHostRefusal, type NodeHostNames } from "./host-names.ts";

/** Connections at once on the metrics listener: a scraper or two, and an operator's curl. */
export const METRICS_MAX_CONNECTIONS = 16;

/** Connections at once from one client address (clientKey): one client cannot take them all from the scraper. */
export const METRICS_MAX_CONNECTIONS_PER_IP = 4;

export interface MetricsServerOptions {
  host: string;
  port: number;
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** The RPC port's header, request and idle timeouts (config.toml's [rpc]) apply here too. */
  headerTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  /** [metrics] listen's host and rpc.cors_allowed_origins: the names a browser's request may use (DNS rebinding). */
  hostNames: NodeHostNames;
  logger: Logger;
}

/**
 * GET /metrics on a listener of its own ([metrics] listen), for an operator who keeps metrics off the RPC
 * port. Nothing else is served: other paths are 404, other methods 405. Bounded like the RPC port: at most
 * METRICS_MAX_CONNECTIONS connections, METRICS_MAX_CONNECTIONS_PER_IP from one address, the same timeouts, and at most one rendering a second
 * (NodeMetrics.exposition, RENDER_EVERY_MS). A browser's request under a name that is not the node's (a page
 * whose DNS name was pointed at this listener) is refused, 403, as on the RPC port (rpc/host-names.ts).
 */
export class MetricsServer {
  private readonly opts: MetricsServerOptions;
  private readonly server: Server;
  private readonly connections = new ConnectionsPerClient(METRICS_MAX_CONNECTIONS_PER_IP, (key, limit) => ({
    contentType: "text/plain",
    body: `too many connections from ${key}: at most ${limit} at a time\n`,
  }));

  constructor(opts: MetricsServerOptions) {
    this.opts = opts;
    this.server = createServer(
      {
        headersTimeout: opts.headerTimeoutMs,
        requestTimeout: opts.requestTimeoutMs,
        keepAliveTimeout: opts.idleTimeoutMs,
        connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(opts.headerTimeoutMs / 4))),
      },
      (req, res) => {
        if (this.connections.wasRefused(req.socket)) return; // answered 503 already, and closing
        req.resume(); // a body, if any, is not read (the request timeout bounds how long it may take)
        res.setTimeout(opts.idleTimeoutMs, () => res.destroy());
        const rebound = browserHostRefusal(req.headers, opts.hostNames);
        if (rebound !== undefined) {
          res.writeHead(403, { "content-type": "text/plain" });
          res.end(`${rebound}\n`);
          return;
        }
        if (req.method !== "GET" && req.method !== "HEAD") {
          res.writeHead(405, { "allow": "GET", "content-type": "text/plain" });
          res.end("GET /metrics\n");
          return;
        }
        answerGet(req, res, { metrics: opts.metrics }).catch((err: unknown) => {
          opts.logger.error({ err }, "metrics request failed");
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
      },
    );
    this.server.maxConnections = METRICS_MAX_CONNECTIONS;
    this.server.on("connection", (socket: Socket) => this.connections.admit(socket));
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { WebSocketServer } from "ws";
import { clientKey } from "../client-address.ts";
import { allowedOrigin } from "../cors.ts";
import type { Dispatcher } from "../dispatch.ts";
import { INVALID_REQUEST } from "../errors.ts";
import { browserHostRefusal, type NodeHostNames } from "../host-names.ts";
import { requestPath } from "../request-path.ts";
import { WsConnection } from "./connection.ts";
import { WS_PATH } from "./http-methods.ts";
import { CLOSE_CODES, WS_CLIENT_SHARE, type WsLimits } from "./limits.ts";
import { Heartbeat } from "./heartbeat.ts";
import { WsQueueBudget } from "./queue-budget.ts";
import { BodyBytes } from "../body-bytes.ts";

/** How long a stopping node waits for its WebSocket clients to answer the close (1001) before dropping them. */
export const CLOSE_GRACE_MS = 1000;

export interface WsGatewayOptions {
  dispatcher: Dispatcher;
  limits: WsLimits;
  /** rpc.idle_timeout_ms: also how often an idle connection is pinged, and how long its pong may take. */
  idleTimeoutMs: number;
  /**
   * rpc.cors_allowed_origins: browsers apply no CORS to WebSockets, so an upgrade whose Origin (sent by every
   * browser) is not allowed here, nor this port's own (the explorer's page), is refused (403); one without
   * Origin is not a browser page and is served.
   */
  allowedOrigins: readonly string[];
  /** rpc.listen's host: one of the node's names for the DNS-rebinding check (rpc/host-names.ts). */
  listenHost: string;
  /** The committed tip and the commit hook of the node (ChainApp). */
  app: { info(): { height: number }; onCommit(listener: () => void): () => void; readonly indexing: boolean };
  logger: Logger;
}

export interface WsStats {
  connections: number;
  subscriptions: number;
  /** Bytes of notifications handed to sockets and not yet written to the network, node-wide (the shared budget). */
  queuedBytes: number;
  /** Connections closed because a subscriber took nothing for the stall timeout (4008), since start. */
  closedTooSlow: number;
}

/**
 * JSON-RPC over WebSocket on the RPC port: takes the HTTP server's upgrade requests for WS_PATH, within
 * ws.max_connections in all and ws.max_connections_per_ip per address (the rest are answered 503 and closed),
 * messages up to ws.max_message_bytes (larger ones close the connection, 1009). Each committed block wakes
 * every subscription (no more: the commit path never waits for a client).
 */
export class WsGateway {
  private readonly opts: WsGatewayOptions;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<WsConnection>();
  private readonly perClient = new Map<string, number>();
  private readonly stopCommits: () => void;
  private readonly heartbeat: NodeJS.Timeout;
  private tooSlow = 0;
  private readonly budget: WsQueueBudget;
  /** Request messages waiting to be answered, all connections together (rpc/body-bytes.ts). */
  private readonly requests: BodyBytes;

  private readonly hostNames: NodeHostNames;

  constructor(opts: WsGatewayOptions) {
    this.opts = opts;
    this.hostNames = { listenHost: opts.listenHost, allowedOrigins: opts.allowedOrigins };
    this.budget = new WsQueueBudget(opts.limits.maxQueuedBytesTotal, WS_CLIENT_SHARE);
    this.requests = new BodyBytes(opts.limits.maxMessageBytes);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.limits.maxMessageBytes,
      perMessageDeflate: false, // compression would let a small frame expand to any size in memory
      clientTracking: false,
    });
    this.stopCommits = opts.app.onCommit(() => {
      for (const c of this.connections) c.wake();
    });
    // A client that vanished without closing (its host died) would hold its slot forever, and one that stopped
    // reading may not fill its queue for a long while (its notifications fit in the kernel's socket buffers):
    // one that does not answer a ping within the idle timeout is closed.
    this.heartbeat = setInterval(() => this.ping(), opts.idleTimeoutMs);
    this.heartbeat.unref();
  }

  get stats(): WsStats {
    let subscriptions = 0;
    for (const c of this.connections) subscriptions += c.subscriptionCount;
    return {
      connections: this.connections.size,
      subscriptions,
      queuedBytes: this.budget.usedBytes,
      closedTooSlow: this.tooSlow,
    };
  }

  /** The HTTP server's 'upgrade' event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (requestPath(req.url) !== WS_PATH) {
      refuse(socket, 404, `WebSocket is served on ${WS_PATH} only`);
      return;
    }
    // A page under a name rebound to this node: refused as over HTTP, whatever its Origin claims.
    const rebound = browserHostRefusal(req.headers, this.hostNames);
    if (rebound !== undefined) {
      refuse(socket, 403, rebound);
      return;
    }
    const origin = req.headers.origin;
    const allowed = origin === undefined || ownPage(origin, req.headers.host)
      || allowedOrigin(origin, this.opts.allowedOrigins) !== undefined;
    if (!allowed) {
      refuse(socket, 403, `WebSocket from origin ${origin} refused: it is not in rpc.cors_allowed_origins`);
      return;
    }
    const { maxConnections, maxConnectionsPerIp } = this.opts.limits;
    if (this.connections.size >= maxConnections) {
      refuse(socket, 503, `too many WebSocket connections: at most ${maxConnections} (ws.max_connections)`);
      return;
    }
    const key = clientKey(req.socket.remoteAddress);
    const open = this.perClient.get(key) ?? 0;
    if (open >= maxConnectionsPerIp) {
      refuse(socket, 503, `too many WebSocket connections from ${key}: at most ${maxConnectionsPerIp} (ws.max_connections_per_ip)`);
      return;
    }
    this.perClient.set(key, open + 1);
    let counted = true;
    const uncount = () => {
      if (!counted) return;
      counted = false;
      const left = (this.perClient.get(key) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(key);
      else this.perClient.set(key, left);
    };
    socket.once("close", uncount);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new WsConnection(ws, key, {
        dispatcher: this.opts.dispatcher,
        limits: this.opts.limits,
        idleTimeoutMs: this.opts.idleTimeoutMs,
        tip: () => this.opts.app.info().height,
        indexing: this.opts.app.indexing,
        log: this.opts.logger,
        onTooSlow: () => this.tooSlow++,
        budget: this.budget,
        requests: this.requests,
      });
      this.connections.add(conn);
      const beat = new Heartbeat(conn, this.opts.idleTimeoutMs);
      ws.on("pong", () => beat.ponged());
      ws.on("close", () => {
        this.connections.delete(conn);
        uncount();
      });
      this.pingers.set(conn, () => {
        if (beat.late(Date.now())) {
          // Not reading (or gone): a subscriber is told so with the cursor to resume from, as by the stall timeout.
          if (!conn.stalled()) ws.terminate();
          return;
        }
        if (beat.due()) {
          beat.pinged(Date.now());
          ws.ping();
        }
      });
    });
  }

  private readonly pingers = new WeakMap<WsConnection, () => void>();

  private ping(): void {
    for (const c of this.connections) this.pingers.get(c)?.();
  }

  /**
   * Closes every connection (1001, going away) and stops listening to commits. Clients get CLOSE_GRACE_MS to
   * read what was sent before the close frame and answer it (so they see 1001); those still open are dropped.
   */
  async close(): Promise<void> {
    this.stopCommits();
    clearInterval(this.heartbeat);
    const open = [...this.connections];
    for (const c of open) c.close(CLOSE_CODES.goingAway, "the node is shutting down");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(open.map((c) => c.ended)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS))),
    ]);
    clearTimeout(timer);
    for (const c of this.connections) c.terminate();
  }
}

const STATUS_TEXT: Record<number, string> = { 403: "Forbidden", 404: "Not Found", 503: "Service Unavailable" };

/** Answers an upgrade request with an HTTP error and a JSON-RPC error body, then closes the socket. */
function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: INVALID_REQUEST, message } });
  const text = STATUS_TEXT[status] ?? "Error";
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\nconnection: close\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/**
 * Whether a page was served by this port itself (the explorer at GET /): its origin is the host the browser
 * connects to, over http, or https behind a proxy that terminates TLS. Another port or host is another site.
 * (That the Host is a name of this node, not one rebound by an attacker's DNS, browserHostRefusal checked.)
 */
function ownPage(origin: string, host: string | undefined): boolean {
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}

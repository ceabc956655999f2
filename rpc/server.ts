import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { BodyBytes, MAX_BUFFERED_BODY_BYTES } from "./body-bytes.ts";
import { clientKey } from "./client-address.ts";
import { ConnectionsPerClient } from "./connections-per-client.ts";
import { ALLOWED_METHODS, applyCors } from "./cors.ts";
import type { Dispatcher, DispatcherStats, Reply } from "./dispatch.ts";
import { INVALID_REQUEST } from "./errors.ts";
import { answerGet, type GetRoutes } from "./get-routes.ts";
import { browserHostRefusal, type NodeHostNames } from "./host-names.ts";
import { BodyBuffer, MIN_AVERAGE_BODY_PIECE_BYTES } from "./body-buffer.ts";

/** Requests one connection may have waiting behind the one being answered (HTTP/1.1 pipelining). */
export const MAX_PIPELINED = 8;

/**
 * The slowest a client may read an answer, on average, in bytes per second (512 kbit/s): an answer of `n` bytes
 * not sent within rpc.idle_timeout_ms + n / MIN_SEND_BYTES_PER_SECOND seconds is cut off. The idle timeout
 * alone would not do: any byte read resets it, so a client reading a trickle could hold an answer's bytes (and
 * their share of rpc.max_response_bytes_in_flight) as long as it liked.
 */
export const MIN_SEND_BYTES_PER_SECOND = 64 * 1024;

/** The longest a Node timer waits (a longer one would fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The connection limits and timeouts of config.toml's [rpc]. */
export interface RpcConnectionLimits {
  /** Open connections in all: rpc.max_connections. */
  maxConnections: number;
  /** Open connections from one IPv4 address or IPv6 /64: rpc.max_connections_per_ip. */
  maxConnectionsPerIp: number;
  /** From connecting (or the end of the previous request) to a complete request header: rpc.header_timeout_ms. */
  headerTimeoutMs: number;
  /** From connecting to the whole request (header and body) received: rpc.request_timeout_ms. */
  requestTimeoutMs: number;
  /**
   * An idle keep-alive connection, or one whose client stops reading the answer, is closed after this long:
   * rpc.idle_timeout_ms. (Not while the answer is computed: that is bounded by the request's budgets.)
   */
  idleTimeoutMs: number;
}

export interface RpcServerOptions {
  /** rpc.listen's host; also one of the node's names for the DNS-rebinding check (rpc/host-names.ts). */
  host: string;
  port: number;
  maxBodyBytes: number;
  limits: RpcConnectionLimits;
  dispatcher: Dispatcher;
  logger: Logger;
  /** What GET requests are answered (rpc/get-routes.ts); none: every GET is 404. */
  get?: GetRoutes;
  /** rpc.cors_allowed_origins (rpc/cors.ts); none: no CORS headers. */
  corsAllowedOrigins?: readonly string[];
  /** MIN_SEND_BYTES_PER_SECOND unless given (tests use a faster one to cut off a slow reader sooner). */
  minSendBytesPerSecond?: number;
  /** Takes the connections that upgrade to WebSocket (rpc/ws/gateway.ts); without it upgrades are refused. */
  websocket?: { handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void; close(): Promise<void> };
}

/**
 * JSON-RPC over HTTP: POST / with a JSON body; every reply is 200 with a JSON-RPC body, or 204 for none.
 * GET requests (/, /health, /metrics: rpc/get-routes.ts) go through the same limits, and OPTIONS answers CORS
 * preflights (rpc/cors.ts); other methods are 405.
 *
 * Strangers must not be able to lock others out: one address holds at most maxConnectionsPerIp connections
 * (more are answered 503 and closed at once), a connection must deliver its header within headerTimeoutMs and
 * its whole request within requestTimeoutMs however slowly it trickles, and an idle keep-alive connection or one
 * whose client stopped reading its answer is closed after idleTimeoutMs (and one reading it slower than
 * MIN_SEND_BYTES_PER_SECOND on average, at its answer's deadline). A client that hangs up stops its request's work.
 * A browser's request under a name that is not the node's (DNS rebinding: rpc/host-names.ts) is refused, 403.
 */
export class RpcServer {
  private readonly opts: RpcServerOptions;
  private readonly server: Server;
  private readonly connections: ConnectionsPerClient;
  /** Per connection, the request being answered (and those queued behind it), and how many wait. */
  private readonly running = new WeakMap<Socket, Promise<void>>();
  private readonly waiting = new WeakMap<Socket, number>();
  private readonly hostNames: NodeHostNames;
  /** Request bodies held before they are parsed (rpc/body-bytes.ts). */
  readonly bodies: BodyBytes;

  constructor(opts: RpcServerOptions) {
    this.opts = opts;
    this.bodies = new BodyBytes(opts.maxBodyBytes);
    this.hostNames = { listenHost: opts.host, allowedOrigins: opts.corsAllowedOrigins ?? [] };
    const l = opts.limits;
    this.connections = new ConnectionsPerClient(l.maxConnectionsPerIp, (key, limit) => ({
      contentType: "application/json",
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: null,
        error: {
          code: INVALID_REQUEST,
          message: `too many connections from ${key}: at most ${limit} at a time (rpc.max_connections_per_ip)`,
        },
      }),
    }));
    this.server = createServer(
      {
        headersTimeout: l.headerTimeoutMs,
        requestTimeout: l.requestTimeoutMs,
        keepAliveTimeout: l.idleTimeoutMs,
        // How often the header and request timeouts are checked (Node's default, 30 s, would let a slow
        // client hold its connection up to that much longer than the timeouts say).
        connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(l.headerTimeoutMs / 4))),
      },
      (req, res) => this.onRequest(req, res),
    );
    this.server.maxConnections = l.maxConnections;
    this.server.on("connection", (socket: Socket) => this.connections.admit(socket));
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // A connection over the per-address limit was answered 503 already.
      if (opts.websocket === undefined || this.connections.wasRefused(req.socket)) {
        socket.destroy();
        return;
      }
      // Nothing a stranger sends may throw out of this listener: an error here is uncaught, and ends the node.
      try {
        opts.websocket.handleUpgrade(req, socket, head);
      } catch (err) {
        opts.logger.warn({ err, url: req.url }, "WebSocket upgrade failed");
        socket.destroy();
      }
    });
  }

  /** Calls run and requests abandoned by their clients, since start. */
  get stats(): DispatcherStats {
    return this.opts.dispatcher.stats;
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
    // Upgraded connections are no longer the HTTP server's to close.
    await this.opts.websocket?.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.connections.wasRefused(req.socket)) {
      res.destroy(); // already answered 503 on this connection
      return;
    }
    // Before anything else: a rebound page's request must not run, nor be told more than why.
    const rebound = browserHostRefusal(req.headers, this.hostNames);
    if (rebound !== undefined) {
      this.refuse(res, 403, rebound);
      req.resume();
      return;
    }
    if (applyCors(req, res, this.opts.corsAllowedOrigins ?? [])) return; // a preflight, answered
    const get = req.method === "GET" || req.method === "HEAD";
    if (!get && req.method !== "POST") {
      res.writeHead(405, { "allow": ALLOWED_METHODS, "content-type": "text/plain" });
      res.end("JSON-RPC 2.0: send a POST with a JSON body (GET / lists the other endpoints)\n");
      return;
    }
    const limit = this.opts.maxBodyBytes;
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limit) {
      this.tooLarge(res, limit);
      return;
    }
    // Fired if the connection closes before the answer is sent: the dispatcher stops the request's work.
    const hangUp = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) hangUp.abort(new Error("the RPC client closed the connection"));
    });
    const body = new BodyBuffer(limit);
    let aborted = false;
    // The body's bytes held against the node's and the connection's share (BodyBytes) until it is parsed.
    const socket = req.socket;
    const sender = clientKey(socket.remoteAddress);
    let held = 0;
    const release = () => {
      this.bodies.give(socket, sender, held);
      held = 0;
    };
    res.once("close", release);
    req.on("data", (chunk: Buffer) => {
      if (aborted) return;
      if (body.bytes + chunk.byteLength > limit) {
        aborted = true;
        release();
        this.tooLarge(res, limit);
        req.resume();
        return;
      }
      // What the body's buffer grows by is what the node holds for it (up to twice its bytes, by doubling).
      const growth = body.growthFor(chunk.byteLength);
      if (!this.bodies.take(socket, sender, growth)) {
        aborted = true;
        release();
        const why = `request bodies waiting to be read would exceed the node's ${MAX_BUFFERED_BODY_BYTES} bytes, ` +
          `a quarter of that from one address, or two bodies of rpc.max_body_bytes (${limit}) on this connection`;
        this.refuse(res, 503, `Node busy: ${why}; retry, without pipelining`);
        req.resume();
        return;
      }
      held += growth;
      if (!body.append(chunk)) {
        aborted = true;
        release();
        const why = `the body came in too many pieces (${body.bytes} bytes so far): send it in pieces of at least ` +
          `${MIN_AVERAGE_BODY_PIECE_BYTES} bytes on average`;
        this.refuse(res, 400, `Bad request: ${why}`);
        req.resume();
      }
    });
    req.on("end", () => {
      if (aborted || hangUp.signal.aborted) return release();
      // A GET's body (there should be none) was read and bounded like a POST's, and is ignored.
      if (get) {
        release();
        this.oneAtATime(socket, () => this.answerGet(req, res));
        return;
      }
      const client = sender;
      this.oneAtATime(socket, () => {
        const text = body.text(); // the buffer goes: this closure's context lives as long as the request
        release();
        return this.answer(text, res, hangUp.signal, client);
      });
    });
    req.on("error", () => {
      aborted = true;
      release();
    });
  }

  /**
   * Runs the requests of one connection one after another. HTTP/1.1 lets a client send (pipeline) requests
   * without waiting for answers, and Node starts each as it arrives, so one connection could otherwise run as
   * many requests at once, each with its own budgets, as it cared to send; the connection limits then bound
   * what runs at once. A connection with more than MAX_PIPELINED requests waiting is closed. (The socket is
   * not paused instead: a paused socket would not see its client hang up.)
   */
  private oneAtATime(socket: Socket, run: () => Promise<void>): void {
    const waiting = (this.waiting.get(socket) ?? 0) + 1;
    if (waiting > MAX_PIPELINED) {
      this.opts.logger.debug({ client: socket.remoteAddress }, "RPC client pipelined too many requests; closed");
      socket.destroy();
      return;
    }
    this.waiting.set(socket, waiting);
    const previous = this.running.get(socket) ?? Promise.resolve();
    const done = previous.then(async () => {
      this.waiting.set(socket, (this.waiting.get(socket) ?? 1) - 1);
      await run();
    });
    this.running.set(socket, done);
    void done.then(() => {
      if (this.running.get(socket) === done) this.running.delete(socket); // nothing queued behind it
    });
  }

  /**
   * Dispatches a request body and sends the answer; resolves once the answer is out (or the connection gone),
   * so a client that does not read its answers cannot have more of them piled up; never rejects.
   */
  private answer(text: string, res: ServerResponse, hangUp: AbortSignal, client: string): Promise<void> {
    if (hangUp.aborted) return Promise.resolve();
    // The body is parsed now and not held while its calls run (dispatcher.handle), so it is not passed on:
    // an async function keeps its arguments, and its dead locals, until it returns.
    return this.send(this.opts.dispatcher.handle(text, hangUp, client), res, hangUp, client);
  }

  /** Sends the answer once made (see answer); never rejects. */
  private async send(
    answer: Promise<Reply | undefined>,
    res: ServerResponse,
    hangUp: AbortSignal,
    client: string,
  ): Promise<void> {
    let reply: Reply | undefined;
    try {
      reply = await answer;
    } catch (err) {
      if (hangUp.aborted) return; // nobody to answer
      this.opts.logger.error({ err }, "RPC request failed");
      if (!res.headersSent) res.writeHead(500);
      res.end();
      return;
    }
    // The client may have left while the answer was made: 'close' has then fired already and 'finish' never
    // will, so the answer's bytes are given back now rather than by those events.
    if (hangUp.aborted || res.destroyed || res.closed) {
      reply?.release();
      return;
    }
    const sent = new Promise<void>((resolve) => {
      res.once("finish", resolve);
      res.once("close", resolve);
    }).then(() => reply?.release());
    // While the answer is being computed the connection is quiet by design; once it is being sent, a client
    // that stops reading it must not hold the connection (and the answer's memory) forever.
    res.setTimeout(this.opts.limits.idleTimeoutMs, () => res.destroy());
    // And one reading a trickle (each byte resets that timer) must not either: the answer has a deadline.
    const size = reply?.body.byteLength ?? 0;
    const rate = this.opts.minSendBytesPerSecond ?? MIN_SEND_BYTES_PER_SECOND;
    const deadline = setTimeout(() => {
      this.opts.logger.debug({ client, bytes: size }, "RPC client read its answer too slowly; closed");
      res.destroy();
    }, Math.min(MAX_TIMER_MS, this.opts.limits.idleTimeoutMs + Math.ceil((size * 1000) / rate)));
    if (reply === undefined) {
      res.writeHead(204);
      res.end();
    } else {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(reply.body);
    }
    await sent;
    clearTimeout(deadline);
  }

  /** Answers a GET like a POST's answer is sent: resolves once it is out, cut off if read too slowly. */
  private async answerGet(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (res.destroyed || res.closed) return;
    const sent = new Promise<void>((resolve) => {
      res.once("finish", resolve);
      res.once("close", resolve);
    });
    res.setTimeout(this.opts.limits.idleTimeoutMs, () => res.destroy());
    try {
      await answerGet(req, res, this.opts.get ?? {});
    } catch (err) {
      this.opts.logger.error({ err, path: req.url }, "GET request failed");
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
    const size = Number(res.getHeader("content-length") ?? 0);
    const rate = this.opts.minSendBytesPerSecond ?? MIN_SEND_BYTES_PER_SECOND;
    const deadline = setTimeout(() => res.destroy(), this.opts.limits.idleTimeoutMs + Math.ceil((size * 1000) / rate));
    await sent;
    clearTimeout(deadline);
  }

  private tooLarge(res: ServerResponse, limit: number): void {
    this.refuse(res, 413, `Invalid Request: body exceeds the limit of ${limit} bytes (rpc.max_body_bytes)`);
  }

  /** Answers `status` with a JSON-RPC error body (no request id: the request was not read) and closes. */
  private refuse(res: ServerResponse, status: number, message: string): void {
    const body = JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: INVALID_REQUEST, message } });
    res.writeHead(status, { "content-type": "application/json", "connection": "close" });
    res.end(body);
  }
}

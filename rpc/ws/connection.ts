import type { Logger } from "pino";
import type { WebSocket } from "ws";
import type { BodyBytes } from "../body-bytes.ts";
import type { RpcContext } from "../context.ts";
import type { Dispatcher, Reply } from "../dispatch.ts";
import { INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, RpcError, toRpcError } from "../errors.ts";
import { MAX_PIPELINED, MIN_SEND_BYTES_PER_SECOND } from "../server.ts";
import { CLOSE_CODES, type WsLimits } from "./limits.ts";
import { openSubscription } from "./open-subscription.ts";
import type { WsQueueBudget } from "./queue-budget.ts";
import { Subscription, type SubscriptionHost } from "./subscription.ts";
import { unsubscribeParams } from "./subscribe-params.ts";

/** What a connection needs of the gateway. */
export interface ConnectionDeps {
  dispatcher: Dispatcher;
  limits: WsLimits;
  /** rpc.idle_timeout_ms: the patience with an answer the client does not read (as over HTTP). */
  idleTimeoutMs: number;
  tip(): number;
  indexing: boolean;
  log: Logger;
  /** Counts a connection closed for being too slow (stats). */
  onTooSlow(): void;
  /** ws.max_queued_bytes_total: what every subscription's unwritten notifications are charged to. */
  budget: WsQueueBudget;
  /**
   * Request messages waiting to be answered, every connection's (rpc/body-bytes.ts, sized by ws.max_message_bytes):
   * MAX_PIPELINED messages of 1 MiB each could wait on each of 256 connections.
   */
  requests: BodyBytes;
}

type Id = string | number | null;

/**
 * Every message goes out as a text frame: ws sends a Buffer as a binary frame by default, which a browser
 * hands to the page as a Blob instead of a string.
 */
const TEXT = { binary: false } as const;

/**
 * One WebSocket connection: JSON-RPC 2.0 in text frames, answered in order one at a time (like HTTP requests
 * on one connection: the dispatcher's per-request budgets apply to each), plus `subscribe` / `unsubscribe`,
 * whose notifications interleave with the answers. A client that sends more than MAX_PIPELINED requests
 * without waiting for their answers, or a binary frame, is closed with a reason.
 */
export class WsConnection {
  private readonly ws: WebSocket;
  private readonly client: string;
  private readonly deps: ConnectionDeps;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly waiting: { text: string; bytes: number }[] = [];
  private readonly hangUp = new AbortController();
  private busy = false;
  /** Resolves once the socket is closed (by either side). */
  readonly ended: Promise<void>;
  private closing = false;
  private nextId = 1;
  /** Bytes written to the network so far: the heartbeat allows a ping queued behind them time to be read. */
  private writtenBytes = 0;

  constructor(ws: WebSocket, client: string, deps: ConnectionDeps) {
    this.ws = ws;
    this.client = client;
    this.deps = deps;
    ws.on("message", (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    this.ended = new Promise((resolve) => ws.once("close", () => resolve()));
    ws.on("close", () => this.closed());
    ws.on("error", (err) => deps.log.debug({ err, client }, "WebSocket error"));
  }

  /** Bytes of messages written to the network so far (each counted once the socket took it). */
  get written(): number {
    return this.writtenBytes;
  }

  /** Bytes handed to the socket and not yet written to the network. */
  get buffered(): number {
    return this.ws.bufferedAmount;
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** A block was committed: wake the subscriptions waiting for one. */
  wake(): void {
    for (const s of this.subscriptions.values()) s.wake();
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  /**
   * The client does not read (it left a ping unanswered): with a subscription, closes as too slow (4008, the
   * first subscription's cursor) and returns true; without one, returns false.
   */
  stalled(): boolean {
    const first = this.subscriptions.values().next().value;
    if (first === undefined) return false;
    this.tooSlow(first);
    return true;
  }

  /** Drops the connection at once (no close handshake). */
  terminate(): void {
    this.ws.terminate();
  }

  private closed(): void {
    this.hangUp.abort(new Error("the WebSocket client closed the connection"));
    for (const s of this.subscriptions.values()) s.stop();
    this.subscriptions.clear();
    for (const w of this.waiting) this.deps.requests.give(this, this.client, w.bytes);
    this.waiting.length = 0;
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.close(CLOSE_CODES.unsupportedData, "binary frames are not JSON-RPC: send each request as a text frame");
      return;
    }
    if (this.waiting.length >= MAX_PIPELINED) {
      this.close(
        CLOSE_CODES.tooManyRequests,
        `over ${MAX_PIPELINED} requests waiting for their answers: send more once answers come`,
      );
      return;
    }
    if (!this.deps.requests.take(this, this.client, data.byteLength)) {
      this.close(
        CLOSE_CODES.tooManyRequests,
        "waiting requests over 2 x ws.max_message_bytes, or the node's budget: send more once answers come",
      );
      return;
    }
    this.waiting.push({ text: data.toString("utf8"), bytes: data.byteLength });
    if (!this.busy) void this.drain();
  }

  /** Answers the waiting requests one after another (each once the previous answer was written out). */
  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.waiting.length > 0 && !this.hangUp.signal.aborted) await this.answerNext();
    } catch (err) {
      if (!this.hangUp.signal.aborted) this.deps.log.error({ err }, "WebSocket request failed");
    } finally {
      this.busy = false;
    }
  }

  /** The next waiting request's answer (the text is taken here, so that drain's frame never holds it). */
  private answerNext(): Promise<void> {
    const next = this.waiting.shift() as { text: string; bytes: number };
    this.deps.requests.give(this, this.client, next.bytes);
    return this.answer(next.text);
  }

  /**
   * Not an async function, and the text is not passed on to one: an async function keeps its arguments until it
   * returns, and a batch of tx_submit runs as long as its admissions wait (Dispatcher.handle).
   */
  private answer(text: string): Promise<void> {
    // Read once, the dispatcher's bounds on its shape (nesting, batch size, pieces) checked before parsing: it is
    // parsed here to find subscribe / unsubscribe, and every other call goes on to the dispatcher as parsed.
    const read = this.deps.dispatcher.read(text);
    if (read.refused !== undefined) return this.sendReply(Promise.resolve(read.refused));
    const own = ownCall(read.value);
    if (own !== undefined) return this.answerOwn(own);
    return this.sendReply(this.deps.dispatcher.handleRead(read.value, this.hangUp.signal, this.client));
  }

  private async answerOwn(own: OwnCall): Promise<void> {
    const body = await this.ownMethod(own);
    if (body !== undefined) await this.sendAndWait(body, () => {});
  }

  private async sendReply(pending: Promise<Reply | undefined>): Promise<void> {
    const reply = await pending;
    if (reply === undefined) return;
    await this.sendAndWait(reply.body, () => reply.release());
  }

  /**
   * Sends an answer and resolves once it is written out (the next request waits for that: a client that does
   * not read its answers cannot have them pile up). One not written within the idle timeout plus its size at
   * MIN_SEND_BYTES_PER_SECOND ends the connection, as over HTTP.
   */
  private sendAndWait(body: Buffer, release: () => void): Promise<void> {
    return new Promise((resolve) => {
      const deadline = setTimeout(() => {
        this.deps.log.debug({ client: this.client, bytes: body.byteLength }, "WebSocket client read its answer too slowly; closed");
        this.ws.terminate();
      }, this.deps.idleTimeoutMs + Math.ceil((body.byteLength * 1000) / MIN_SEND_BYTES_PER_SECOND));
      this.ws.send(body, TEXT, (err) => {
        if (err === undefined || err === null) this.writtenBytes += body.byteLength;
        clearTimeout(deadline);
        release();
        resolve();
      });
    });
  }

  /** subscribe / unsubscribe: answered here (they belong to the connection), everything else by the dispatcher. */
  private async ownMethod(call: OwnCall): Promise<Buffer | undefined> {
    const { id, method, params } = call;
    const started = performance.now();
    // Counted with the dispatcher's calls (opl_rpc_requests_total), though answered here.
    const observe = (ok: boolean) => this.deps.dispatcher.observed(method, (performance.now() - started) / 1000, ok);
    try {
      const result = method === "subscribe" ? await this.subscribe(params) : await this.unsubscribe(params);
      observe(true);
      if (!call.hasId) return undefined;
      return Buffer.from(JSON.stringify({ jsonrpc: "2.0", id, result }));
    } catch (err) {
      observe(false);
      if (!call.hasId) return undefined;
      const known = toRpcError(err);
      if (known === undefined) this.deps.log.error({ err, method }, "WebSocket subscribe failed");
      const e = known ?? new RpcError(INTERNAL_ERROR, "Internal error (the node logged the details)");
      const error = e.data === undefined
        ? { code: e.code, message: e.message }
        : { code: e.code, message: e.message, data: e.data };
      return Buffer.from(JSON.stringify({ jsonrpc: "2.0", id, error }));
    }
  }

  private async subscribe(raw: unknown) {
    const max = this.deps.limits.maxSubscriptionsPerConnection;
    if (this.subscriptions.size >= max) {
      throw new RpcError(
        INVALID_REQUEST,
        `too many subscriptions on this connection: at most ${max} (ws.max_subscriptions_per_connection); ` +
        "unsubscribe one first",
        { limit: max },
      );
    }
    const id = String(this.nextId++);
    const { indexing, limits } = this.deps;
    const sub = openSubscription(raw, { id, tip: this.deps.tip(), indexing, limits, host: this.host() });
    this.subscriptions.set(id, sub);
    // The pump starts after this answer is handed to the socket: the answer comes before any notification.
    setImmediate(() => void sub.run());
    return { subscription: id, cursor: sub.cursor, latestHeight: this.deps.tip() };
  }

  /**
   * Answers once the pump has stopped: one in the middle of a store read (which an abort does not cut short)
   * stops when that read returns. Until then it is not answered, and, the connection's requests being answered
   * one at a time, no subscribe of this connection runs: churn cannot run more pumps than the limit, and a
   * subscribe sent right after the unsubscribe gets the place (answered before, it was refused meanwhile).
   */
  private async unsubscribe(raw: unknown) {
    const parsed = unsubscribeParams.safeParse(raw ?? {});
    if (!parsed.success) throw new RpcError(INVALID_PARAMS, `Invalid params: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
    const sub = this.subscriptions.get(parsed.data.subscription);
    if (sub === undefined) {
      throw new RpcError(INVALID_PARAMS, `no subscription "${parsed.data.subscription}" on this connection`);
    }
    sub.stop();
    await sub.done;
    this.subscriptions.delete(sub.id);
    return { unsubscribed: sub.id, cursor: sub.cursor };
  }

  private tooSlow(sub: Subscription): void {
    if (this.hangUp.signal.aborted || this.closing) return;
    this.closing = true;
    this.deps.onTooSlow();
    this.deps.log.debug({ client: this.client, subscription: sub.id }, "WebSocket subscriber too slow; closed");
    for (const s of this.subscriptions.values()) s.stop();
    // The queued notifications go out before the close frame: a client that reads on sees them all, then this.
    this.close(CLOSE_CODES.tooSlow, `subscriber too slow: subscription ${sub.id}, resume from cursor ${sub.cursor}`);
  }

  /** One subscription's host (a new one for each: it keeps that subscription's combined signal). */
  private host(): SubscriptionHost {
    // The connection's signal and the subscription's own, combined once (not per page: AbortSignal.any's
    // result stays tied to the long-lived connection signal).
    let both: AbortSignal | undefined;
    return {
      send: (body, written) => this.ws.send(body, TEXT, (err) => {
        if (err === undefined || err === null) this.writtenBytes += body.byteLength;
        written();
      }),
      take: (bytes) => this.deps.budget.take(this.client, bytes),
      fits: (bytes) => this.deps.budget.fits(this.client, bytes),
      give: (bytes) => this.deps.budget.give(this.client, bytes),
      onRoom: (listener) => this.deps.budget.onRoom(listener),
      context: (signal: AbortSignal): RpcContext => {
        both ??= AbortSignal.any([this.hangUp.signal, signal]);
        return this.deps.dispatcher.contextFor(both, this.client);
      },
      tip: () => this.deps.tip(),
      tooSlow: (sub) => this.tooSlow(sub),
      failed: (sub, err) => {
        this.subscriptions.delete(sub.id);
        const known = toRpcError(err);
        if (known === undefined) this.deps.log.error({ err, subscription: sub.id }, "WebSocket subscription failed");
        const error = known === undefined
          ? { code: INTERNAL_ERROR, message: "Internal error (the node logged the details)" }
          : { code: known.code, message: known.message, data: known.data };
        const body = { jsonrpc: "2.0", method: "subscription", params: { subscription: sub.id, error, cursor: sub.cursor } };
        this.ws.send(Buffer.from(JSON.stringify(body)), TEXT);
      },
    };
  }
}

interface OwnCall {
  id: Id;
  hasId: boolean;
  method: "subscribe" | "unsubscribe";
  params: unknown;
}

/**
 * The call if `req` (a message's JSON) is a single valid request for subscribe or unsubscribe; undefined for
 * anything else, which the dispatcher answers (batches, other methods, invalid requests: a batch cannot subscribe).
 */
function ownCall(req: unknown): OwnCall | undefined {
  if (typeof req !== "object" || req === null || Array.isArray(req)) return undefined;
  const r = req as Record<string, unknown>;
  if (r.jsonrpc !== "2.0" || (r.method !== "subscribe" && r.method !== "unsubscribe")) return undefined;
  const hasId = Object.hasOwn(r, "id");
  const id = r.id;
  if (hasId && !(id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id)))) return undefined;
  return { id: hasId ? (id as Id) : null, hasId, method: r.method, params: r.params };
}

import type { Logger } from "pino";
import type { RpcContext } from "./context.ts";
import {
  INTERNAL_ERROR,
  INVALID_PARAMS,
  INVALID_REQUEST,
  METHOD_NOT_FOUND,
  RpcError,
  toRpcError,
} from "./errors.ts";
import { AnswerBytes, isAnswerBytesError, type RequestAnswerBytes } from "./answer-bytes.ts";
import type { RpcMethod } from "./method.ts";
import { cachedJsonOf } from "./cached-json.ts";
import { RequestBodyReader } from "./request-body.ts";
import { RequestScope } from "./request-scope.ts";
import { WorkPacer } from "./pacer.ts";
import { Semaphore } from "./semaphore.ts";

/**
 * JSON-RPC 2.0 request handling, independent of the transport: a request body in, a response body out
 * (or nothing, when every request was a notification). Follows https://www.jsonrpc.org/specification:
 * batches, notifications, the -32700/-32600/-32601/-32602/-32603 codes, id null when the id is unknown.
 */

type Id = string | number | null;

interface ErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

type Response = { jsonrpc: "2.0"; id: Id; result: unknown } | { jsonrpc: "2.0"; id: Id; error: ErrorObject };

function errorResponse(id: Id, code: number, message: string, data?: unknown): Response {
  return { jsonrpc: "2.0", id, error: data === undefined ? { code, message } : { code, message, data } };
}

function isValidId(id: unknown): id is Id {
  return id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
}

export interface DispatcherOptions {
  methods: RpcMethod[];
  /** The node's parts; each request gets its own RequestScope on top. */
  context: Omit<RpcContext, "request">;
  maxBatch: number;
  /** Most bytes of answers one request (a call or a whole batch) gets: rpc.max_response_bytes. */
  maxResponseBytes: number;
  /** Most bytes of answers held for all requests until sent: rpc.max_response_bytes_in_flight. */
  maxResponseBytesInFlight: number;
  /** Most keys of state one request reads: rpc.max_request_work. */
  maxRequestWork: number;
  /** State scans (list queries) running at once, node-wide: rpc.max_concurrent_scans. */
  maxConcurrentScans: number;
  logger: Logger;
  /** Told of every call answered (the node's metrics). */
  observer?: CallObserver;
  /**
   * Check every result against its method's result schema, and answer a mismatch as an internal error naming
   * it (a development and test switch: vitest.config.ts sets OPL_CHECK_RPC_RESULTS=1, so every test that
   * calls the node checks what it sends against what rpc_discover documents). Default: that variable.
   */
  checkResults?: boolean;
}

/** The environment switch of DispatcherOptions.checkResults. */
export const CHECK_RESULTS_ENV = "OPL_CHECK_RPC_RESULTS";

/** Hears of each call answered: the method named (any string a client sent), its seconds, and whether ok. */
export interface CallObserver {
  called(method: string, seconds: number, ok: boolean): void;
}

/**
 * Calls of one batch in progress at once. Enough overlap that calls which wait (a signature check in the
 * verification workers, a database read) do not wait one after another: with 8, a batch of transfers was
 * admitted ~25% slower (test/bench/transfer-bench.ts: 1,600-2,600 tx/s against 3,200-3,400 with 32). But a
 * batch never starts a thousand reads at once: those would queue ahead of the block commit's own writes in the
 * database's thread pool. (List scans are bounded apart from this, node-wide: rpc.max_concurrent_scans.) Calls
 * whose wait a queue of their own bounds (RpcMethod.waitsInOwnQueue: tx_submit) are not held to it.
 */
export const BATCH_CONCURRENCY = 32;

/** A request body read (Dispatcher.read): its JSON value, or the error answer to send instead. */
export type ReadBody = { value: unknown; refused?: undefined } | { refused: Reply };

/** How much work requests did, and how many were given up because the client left (for tests and logs). */
export interface DispatcherStats {
  /** Method calls whose handler ran (invalid or refused calls are not counted). */
  callsStarted: number;
  /** Requests whose client hung up before the answer was sent; their remaining calls did not run. */
  requestsAbandoned: number;
  /** Requests being worked on now. */
  requestsRunning: number;
}

export class Dispatcher {
  private readonly methods = new Map<string, RpcMethod>();
  private readonly ctx: Omit<RpcContext, "request">;
  private readonly maxBatch: number;
  /** What a request body may be, checked on its text before JSON.parse (read). */
  private readonly bodies: RequestBodyReader;
  private readonly answerBytes: AnswerBytes;
  private readonly maxRequestWork: number;
  private readonly scans: Semaphore;
  private readonly pacer = new WorkPacer();
  private readonly log: Logger;
  private readonly observer: CallObserver | undefined;
  private readonly checkResults: boolean;
  /** Deprecated names already logged as called (each is logged once per node run). */
  private readonly deprecatedCalled = new Set<string>();
  readonly stats: DispatcherStats = { callsStarted: 0, requestsAbandoned: 0, requestsRunning: 0 };

  constructor(opts: DispatcherOptions) {
    for (const m of opts.methods) this.methods.set(m.name, m);
    this.ctx = opts.context;
    this.maxBatch = opts.maxBatch;
    this.bodies = new RequestBodyReader(opts.maxBatch);
    this.answerBytes = new AnswerBytes(opts.maxResponseBytes, opts.maxResponseBytesInFlight);
    this.maxRequestWork = opts.maxRequestWork;
    this.scans = new Semaphore(opts.maxConcurrentScans);
    this.log = opts.logger;
    this.observer = opts.observer;
    this.checkResults = opts.checkResults ?? process.env[CHECK_RESULTS_ENV] === "1";
  }

  /** Bytes of answers held until sent, node-wide (rpc.max_response_bytes_in_flight bounds it). */
  get answerBytesInFlight(): number {
    return this.answerBytes.inFlight;
  }

  /**
   * The node's parts with a fresh request scope: the budgets of one request (rpc.max_request_work) and the
   * node-wide scan slots and pacing every request shares. A WebSocket subscription reads each page of its
   * items in one, so a replay costs what a tx_search page does and queues for the same scan slots, taking
   * turns there with the other clients (`client`: the caller's address key).
   */
  contextFor(signal: AbortSignal, client?: string): RpcContext {
    const { maxRequestWork: maxWork, scans, pacer } = this;
    const request = new RequestScope({ signal, maxWork, scans, pacer, client });
    return { ...this.ctx, request };
  }

  /** Tells the call observer of a call answered elsewhere (subscribe / unsubscribe, answered by the WebSocket). */
  observed(method: string, seconds: number, ok: boolean): void {
    this.observer?.called(method, seconds, ok);
  }

  get methodNames(): string[] {
    return [...this.methods.keys()].sort();
  }

  /**
   * Returns the response body (UTF-8), or undefined when nothing must be sent back; call `release` once the
   * body is sent (or will never be): its bytes count against rpc.max_response_bytes_in_flight until then.
   * `signal` aborts when the client goes away: the remaining calls are not run, and the promise rejects with
   * the signal's reason. `client` is the caller's address key (rpc/client-address.ts): one address's requests
   * together hold at most a share of the answers in flight (CLIENT_SHARE).
   *
   * Answers are turned into bytes as they come: the socket then copies bytes, where one big string would be
   * re-encoded in a single long step (~60 ms for 8 MB) that holds everything else up, consensus included.
   */
  handle(
    body: string,
    signal: AbortSignal = new AbortController().signal,
    client = "local",
  ): Promise<Reply | undefined> {
    const read = this.read(body);
    if (read.refused !== undefined) return Promise.resolve(read.refused);
    return this.handleRead(read.value, signal, client);
  }

  /** A request body's JSON, or the error answer to send instead (rpc/request-body.ts: bounded before parsing). */
  read(body: string): ReadBody {
    const read = this.bodies.read(body);
    if (read.refused === undefined) return { value: read.value };
    return { refused: small(errorResponse(null, read.refused.code, read.refused.message)) };
  }

  /**
   * Answers a body `read` returned the value of (the WebSocket reads each message once, to find its own calls,
   * and hands the rest here); see handle. Not an async function, and the value is not passed on: an async
   * function keeps its arguments (and its dead locals) until it returns, and a batch of tx_submit runs as long
   * as its admissions wait, long enough on a loaded node for whatever it holds to be promoted to the old
   * generation. A lone request goes in an array of one, which its call empties as it starts (startLone), for
   * the same reason.
   */
  handleRead(value: unknown, signal: AbortSignal, client: string): Promise<Reply | undefined> {
    if (Array.isArray(value)) return this.handleParsed(value, true, signal, client);
    return this.handleParsed([value], false, signal, client);
  }

  /** The request of a lone call, taken out of its array of one as it is started (see handle). */
  private startLone(requests: unknown[], ctx: RpcContext): Response | undefined | Promise<Response | undefined> {
    const request = requests[0];
    requests[0] = undefined;
    return this.handleOne(request, ctx);
  }

  private async handleParsed(
    parsed: unknown[],
    batch: boolean,
    signal: AbortSignal,
    client: string,
  ): Promise<Reply | undefined> {
    const ctx = this.contextFor(signal, client);
    const scope = ctx.request;
    const held = this.answerBytes.forRequest(client);
    this.stats.requestsRunning++;
    try {
      if (!batch) {
        const response = await this.startLone(parsed, ctx);
        // The client may have left while the handler waited (a database read): then nothing is to be held.
        signal.throwIfAborted();
        if (response === undefined) return undefined;
        const bytes = this.serialize(response);
        const refused = held.take(bytes.byteLength);
        if (refused !== undefined) {
          return small(errorResponse(response.id, refused.code, refused.message, refused.data));
        }
        return { body: bytes, release: () => held.close() };
      }
      if (parsed.length === 0)
        return small(errorResponse(null, INVALID_REQUEST, "Invalid Request: empty batch"));
      // read refuses these before parsing; kept for a value handleRead is given from elsewhere.
      if (parsed.length > this.maxBatch) {
        return small(errorResponse(null, INVALID_REQUEST, this.bodies.batchTooLarge(parsed.length)));
      }
      const sent = await this.handleBatch(parsed, ctx, held);
      if (sent.length === 0) {
        held.close();
        return undefined;
      }
      const parts: Buffer[] = [OPEN_BRACKET];
      for (let i = 0; i < sent.length; i++) {
        if (i > 0) parts.push(COMMA);
        parts.push(sent[i]);
      }
      parts.push(CLOSE_BRACKET);
      return { body: Buffer.concat(parts), release: () => held.close() };
    } catch (err) {
      held.close();
      if (signal.aborted) {
        this.stats.requestsAbandoned++;
        this.log.debug({ workDone: scope.workDone }, "RPC client went away; the rest of its request was not run");
      }
      throw err;
    } finally {
      this.stats.requestsRunning--;
    }
  }

  /**
   * Runs a batch's calls, BATCH_CONCURRENCY at a time in order (calls that wait in a queue of their own, such
   * as tx_submit, all at once: RpcMethod.waitsInOwnQueue), pacing after each (WorkPacer) so that timers
   * and I/O (consensus, block commits, other clients) run in between. Each answer is serialized as it
   * comes and counted against the response budgets (AnswerBytes); the call that crosses one and every call not
   * yet answered get RESPONSE_TOO_LARGE or NODE_BUSY instead, and the calls still running are stopped at their
   * next check. (Refusals are not counted: a few hundred bytes each, at most max_batch of them.)
   */
  private async handleBatch(requests: unknown[], ctx: RpcContext, held: RequestAnswerBytes): Promise<Buffer[]> {
    const scope = ctx.request;
    const answers: (Buffer | undefined)[] = new Array(requests.length);
    let next = 0;
    // Once a budget ran out, most of a big batch gets the same error: serialize it once.
    const errorJson = new Map<RpcError, string>();
    const refusal = (id: Id | undefined, err: RpcError): Buffer | undefined => {
      if (id === undefined) return undefined;
      let error = errorJson.get(err);
      if (error === undefined) {
        error = JSON.stringify({ code: err.code, message: err.message, data: err.data });
        errorJson.set(err, error);
      }
      return Buffer.from(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"error":${error}}`);
    };
    const answer = (i: number, id: Id | undefined, response: Response | undefined) => {
      scope.signal.throwIfAborted();
      if (response === undefined) return;
      // A byte budget may have run out while this call ran: then its answer is not sent either.
      const full = isAnswerBytesError(scope.stoppedBy) ? scope.stoppedBy : undefined;
      const text = full === undefined ? this.serialize(response) : undefined;
      const refused = full ?? held.take(text?.byteLength ?? 0);
      if (refused !== undefined) {
        scope.stop(refused);
        answers[i] = refusal(id, refused);
      } else {
        answers[i] = text;
      }
    };
    // Calls whose wait a queue of their own bounds (RpcMethod.waitsInOwnQueue), started and not awaited here.
    const waiting: Promise<void>[] = [];
    // Starts call i; a promise when the worker is to wait for it. Not part of the worker's async function:
    // the request (and its params, a tx's base64) is then never a local of a suspended frame, which an engine
    // may keep whole (a baseline-compiled frame saves its dead registers too).
    const start = (i: number): Promise<void> | undefined => {
      // Taken out of the batch: the calls hold what they need, and a request's params (a tx's base64) are
      // not held by the batch for as long as its slowest call.
      const request = requests[i];
      requests[i] = undefined;
      const id = idOf(request);
      const stopped = scope.stoppedBy;
      if (stopped !== undefined) {
        answers[i] = refusal(id, stopped); // a thousand refusals are quick, but not free: paced too
        return undefined;
      }
      const called = Promise.resolve(this.handleOne(request, ctx)).then((response) => answer(i, id, response));
      if (!this.waitsInOwnQueue(request)) return called;
      waiting.push(called);
      return undefined;
    };
    const worker = async () => {
      while (next < requests.length) {
        scope.signal.throwIfAborted();
        const called = start(next++);
        if (called !== undefined) await called;
        await scope.pace();
      }
    };
    // If one worker fails (the client left, or a bug), the others are stopped at their next call and waited
    // for: none may go on taking answer bytes after the request gave its bytes back.
    const workers = Array.from({ length: Math.min(BATCH_CONCURRENCY, requests.length) }, () =>
      worker().catch((err: unknown) => {
        scope.stop(internalError());
        throw err;
      }));
    const settled = await Promise.allSettled(workers);
    // Every started call is waited for (a failed worker stopped the rest at their next check).
    const calls = await Promise.allSettled(waiting);
    const failed = [...settled, ...calls].find((s) => s.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    return answers.filter((a) => a !== undefined);
  }

  /** Whether a batch's request calls a method that waits in a queue of its own (RpcMethod.waitsInOwnQueue). */
  private waitsInOwnQueue(request: unknown): boolean {
    if (typeof request !== "object" || request === null) return false;
    const name = (request as { method?: unknown }).method;
    return typeof name === "string" && this.methods.get(name)?.waitsInOwnQueue === true;
  }

  /** The bytes of an answer; a result that JSON cannot carry (a bug in a method) answers an internal error. */
  private serialize(response: Response): Buffer {
    try {
      return bytesOf(response);
    } catch (err) {
      this.log.error({ err, id: response.id }, "RPC answer could not be serialized");
      const e = internalError();
      return bytesOf(errorResponse(response.id, e.code, e.message));
    }
  }

  /**
   * `ctx`: the node's parts with the request's scope, made once per request (not per call of a batch). Not an
   * async function: a call's one async step is `settle` (an async frame and a promise fewer per call).
   */
  private handleOne(request: unknown, ctx: RpcContext): Response | undefined | Promise<Response | undefined> {
    if (typeof request !== "object" || request === null || Array.isArray(request)) {
      return errorResponse(null, INVALID_REQUEST, "Invalid Request: a request must be a JSON object");
    }
    const req = request as Record<string, unknown>;
    const hasId = Object.hasOwn(req, "id");
    if (hasId && !isValidId(req.id)) {
      return errorResponse(null, INVALID_REQUEST, "Invalid Request: id must be a string, a number or null");
    }
    const id: Id = hasId ? (req.id as Id) : null;
    if (req.jsonrpc !== "2.0")
      return errorResponse(id, INVALID_REQUEST, "Invalid Request: jsonrpc must be \"2.0\"");
    if (typeof req.method !== "string")
      return errorResponse(id, INVALID_REQUEST, "Invalid Request: method must be a string");
    if (req.params !== undefined && (typeof req.params !== "object" || req.params === null)) {
      return errorResponse(id, INVALID_REQUEST, "Invalid Request: params must be an object or an array");
    }
    return this.call(id, req.method, req.params, ctx, !hasId);
  }

  /**
   * Runs a valid request's call and tells the observer of its answer (its method, seconds, and whether ok); a
   * notification's answer is not sent (undefined). Not an async function: the params are checked and the
   * handler started here, and only the handler's promise is waited for (settle), so the raw params and their
   * parsed copy are not held while it runs (an async function keeps its arguments and locals until it returns).
   */
  private call(
    id: Id,
    name: string,
    rawParams: unknown,
    ctx: RpcContext,
    notification: boolean,
  ): Response | undefined | Promise<Response | undefined> {
    const started = performance.now();
    const scope = ctx.request;
    const m = this.methods.get(name);
    if (m === undefined) {
      return this.answered(name, started, errorResponse(id, METHOD_NOT_FOUND, `Method not found: ${name}`), notification);
    }
    if (Array.isArray(rawParams)) {
      const message = `Invalid params: ${name} takes params by name (a JSON object)`;
      return this.answered(name, started, errorResponse(id, INVALID_PARAMS, message), notification);
    }
    const parsed = m.params.safeParse(rawParams ?? {});
    if (!parsed.success) {
      const detail = parsed.error.issues
        .map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message))
        .join("; ");
      return this.answered(name, started, errorResponse(id, INVALID_PARAMS, `Invalid params: ${detail}`), notification);
    }
    let pending: unknown;
    try {
      scope.check();
      this.stats.callsStarted++;
      if (m.replacedBy !== undefined && !this.deprecatedCalled.has(name)) {
        this.deprecatedCalled.add(name);
        this.log.warn({ method: name, replacedBy: m.replacedBy }, `RPC method ${name} is deprecated: call ${m.replacedBy}`);
      }
      pending = m.handler(parsed.data, ctx);
    } catch (err) {
      pending = Promise.reject(err); // answered as a rejection is, by settle
    }
    return this.settle(id, m, started, pending, scope, notification);
  }

  /** A started call's answer: its result checked against the method's schema, or its error. */
  private async settle(
    id: Id,
    m: RpcMethod,
    started: number,
    pending: unknown,
    scope: RequestScope,
    notification: boolean,
  ): Promise<Response | undefined> {
    const name = m.name;
    let response: Response;
    try {
      const result = (await pending) ?? null;
      response = { jsonrpc: "2.0", id, result };
      if (this.checkResults) {
        const checked = m.result.safeParse(result);
        if (!checked.success) {
          const detail = checked.error.issues.map((i) => `${i.path.join(".") || "(result)"}: ${i.message}`).join("; ");
          this.log.error({ method: name, detail }, "RPC result does not match its schema");
          response = errorResponse(id, INTERNAL_ERROR, `${name}'s result does not match its result schema: ${detail}`);
        }
      }
    } catch (err) {
      if (scope.signal.aborted) throw err; // the client is gone: nothing to answer
      const known = toRpcError(err);
      if (known !== undefined) {
        response = errorResponse(id, known.code, known.message, known.data);
      } else {
        this.log.error({ err, method: name }, "RPC handler failed");
        const e = internalError();
        response = errorResponse(id, e.code, e.message);
      }
    }
    return this.answered(name, started, response, notification);
  }

  /** Tells the observer of a call answered; a notification's answer is not sent. */
  private answered(name: string, started: number, response: Response, notification: boolean): Response | undefined {
    this.observer?.called(name, (performance.now() - started) / 1000, !("error" in response));
    return notification ? undefined : response;
  }
}

/** What a call that failed by a bug of the node is answered (the details go to the log, not the client). */
function internalError(): RpcError {
  return new RpcError(INTERNAL_ERROR, "Internal error (the node logged the details)");
}

const OPEN_BRACKET = Buffer.from("[");
const COMMA = Buffer.from(",");
const CLOSE_BRACKET = Buffer.from("]");

function bytesOf(response: Response): Buffer {
  const cached = "result" in response ? cachedJsonOf(response.result) : undefined;
  if (cached !== undefined) return Buffer.from(`{"jsonrpc":"2.0","id":${JSON.stringify(response.id)},"result":${cached}}`);
  return Buffer.from(JSON.stringify(response));
}

/** An answer to send, and what to call once it is sent (or will never be). */
export interface Reply {
  body: Buffer;
  release(): void;
}

/** An error answer: a few hundred bytes, not counted against the budgets. */
function small(response: Response): Reply {
  return { body: bytesOf(response), release: () => {} };
}

/** The id to answer a batch element with; undefined for a notification (no answer). */
function idOf(request: unknown): Id | undefined {
  if (typeof request !== "object" || request === null || Array.isArray(request)) return null;
  const req = request as Record<string, unknown>;
  if (!Object.hasOwn(req, "id")) return undefined;
  return isValidId(req.id) ? req.id : null;
}

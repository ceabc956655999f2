import type { Logger } from "pino";
import type { RpcContext } from "./context.ts";
import {
  INTERNAL_ERROR,
  INVALID_PARAMS,
  INVALID_REQUEST,
  METHOD_NOT_FOUND,
  PARSE_ERROR,
  toRpcError,
} from "./errors.ts";
import type { RpcMethod } from "./method.ts";

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
  context: RpcContext;
  maxBatch: number;
  logger: Logger;
}

export class Dispatcher {
  private readonly methods = new Map<string, RpcMethod>();
  private readonly ctx: RpcContext;
  private readonly maxBatch: number;
  private readonly log: Logger;

  constructor(opts: DispatcherOptions) {
    for (const m of opts.methods) this.methods.set(m.name, m);
    this.ctx = opts.context;
    this.maxBatch = opts.maxBatch;
    this.log = opts.logger;
  }

  get methodNames(): string[] {
    return [...this.methods.keys()].sort();
  }

  /** Returns the response body, or undefined when nothing must be sent back. */
  async handle(body: string): Promise<string | undefined> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      return JSON.stringify(errorResponse(null, PARSE_ERROR, `Parse error: ${(err as Error).message}`));
    }
    if (Array.isArray(parsed)) {
      if (parsed.length === 0)
        return JSON.stringify(errorResponse(null, INVALID_REQUEST, "Invalid Request: empty batch"));
      if (parsed.length > this.maxBatch) {
        return JSON.stringify(
          errorResponse(
            null,
            INVALID_REQUEST,
            `Invalid Request: batch of ${parsed.length} exceeds the limit of ${this.maxBatch}`,
          ),
        );
      }
      const responses = await Promise.all(parsed.map((r) => this.handleOne(r)));
      const sent = responses.filter((r) => r !== undefined);
      return sent.length === 0 ? undefined : JSON.stringify(sent);
    }
    const response = await this.handleOne(parsed);
    return response === undefined ? undefined : JSON.stringify(response);
  }

  private async handleOne(request: unknown): Promise<Response | undefined> {
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
    const notification = !hasId;
    const response = await this.call(id, req.method, req.params);
    return notification ? undefined : response;
  }

  private async call(id: Id, name: string, rawParams: unknown): Promise<Response> {
    const m = this.methods.get(name);
    if (m === undefined) return errorResponse(id, METHOD_NOT_FOUND, `Method not found: ${name}`);
    if (Array.isArray(rawParams)) {
      return errorResponse(
        id,
        INVALID_PARAMS,
        `Invalid params: ${name} takes params by name (a JSON object)`,
      );
    }
    const parsed = m.params.safeParse(rawParams ?? {});
    if (!parsed.success) {
      const detail = parsed.error.issues
        .map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message))
        .join("; ");
      return errorResponse(id, INVALID_PARAMS, `Invalid params: ${detail}`);
    }
    try {
      const result = await m.handler(parsed.data, this.ctx);
      return { jsonrpc: "2.0", id, result: result ?? null };
    } catch (err) {
      const known = toRpcError(err);
      if (known !== undefined) return errorResponse(id, known.code, known.message, known.data);
      this.log.error({ err, method: name }, "RPC handler failed");
      return errorResponse(id, INTERNAL_ERROR, "Internal error (the node logged the details)");
    }
  }
}

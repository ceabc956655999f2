import { RpcError } from "./rpc-error.ts";

export interface BatchReply {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** No answer at all from the node: nothing listening at the URL, or the network failed. */
export class NodeUnreachableError extends Error {
  override name = "NodeUnreachableError";
}

/**
 * A small JSON-RPC 2.0 client over HTTP (fetch only: it runs in a browser too), for the CLI, tests and
 * benchmarks. rpc/typed-client.ts gives it each method's params and result types.
 */
export class RpcClient {
  readonly url: string;
  private nextId = 1;

  constructor(url: string) {
    this.url = url;
  }

  async call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    const reply = (await this.post({ jsonrpc: "2.0", id, method, params })) as {
      result?: T;
      error?: { code: number; message: string; data?: unknown };
    };
    if (reply.error !== undefined)
      throw new RpcError(reply.error.code, reply.error.message, reply.error.data);
    return reply.result as T;
  }

  /** Sends many calls in one batch; each result is either { result } or { error }. */
  async batch(calls: { method: string; params: Record<string, unknown> }[]): Promise<BatchReply[]> {
    const first = this.nextId;
    this.nextId += calls.length;
    const body = calls.map((c, i) => ({ jsonrpc: "2.0", id: first + i, method: c.method, params: c.params }));
    const replies = (await this.post(body)) as {
      id: number;
      result?: unknown;
      error?: { code: number; message: string };
    }[];
    if (!Array.isArray(replies))
      throw new RpcError((replies as { error: { code: number } }).error?.code ?? 0, JSON.stringify(replies));
    const byId = new Map(replies.map((r) => [r.id, r]));
    return calls.map((_c, i) => {
      const r = byId.get(first + i);
      if (r === undefined) return { error: { code: 0, message: "no reply" } };
      return r.error !== undefined ? { error: r.error } : { result: r.result };
    });
  }

  private async post(body: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new NodeUnreachableError(`cannot reach the node at ${this.url}${cause ? ` (${cause})` : ""}; is it running?`, {
        cause: err,
      });
    }
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`the node at ${this.url} answered HTTP ${res.status} with a non-JSON body`);
    }
  }
}

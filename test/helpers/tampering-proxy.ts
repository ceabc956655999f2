import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Rewrites one JSON-RPC result on its way back (return it unchanged to pass it through). */
export type Tamper = (method: string, params: Record<string, unknown>, result: unknown) => unknown;

/** Returned by a Tamper: the call answers this JSON-RPC error instead of its result. */
export class LiedError {
  readonly error: { code: number; message: string; data?: unknown };

  constructor(code: number, message: string, data?: unknown) {
    this.error = { code, message, data };
  }
}

/**
 * A JSON-RPC endpoint on 127.0.0.1 that forwards every call to a real node and lets a test rewrite the
 * answers: a lying node, for checking that a client which verifies (opl query --prove) refuses each lie.
 * Single calls only (the CLI does not batch).
 */
export class TamperingProxy {
  private readonly server: Server;
  private readonly target: string;
  tamper: Tamper = (_m, _p, r) => r;
  /** Answers a call the node refused with a result of the proxy's choosing (undefined: the refusal stands). */
  overrideRefusal: (method: string, params: Record<string, unknown>) => unknown = () => undefined;

  private constructor(server: Server, target: string) {
    this.server = server;
    this.target = target;
  }

  static async start(target: string): Promise<TamperingProxy> {
    const server = createServer();
    const proxy = new TamperingProxy(server, target);
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void proxy.forward(Buffer.concat(chunks).toString("utf8")).then(
          (body) => res.writeHead(200, { "content-type": "application/json" }).end(body),
          (err: unknown) => res.writeHead(502).end(String(err)),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async forward(body: string): Promise<string> {
    const call = JSON.parse(body) as { method: string; params?: Record<string, unknown> };
    const res = await fetch(this.target, { method: "POST", headers: { "content-type": "application/json" }, body });
    const reply = (await res.json()) as { result?: unknown; error?: unknown };
    if (reply.result !== undefined) {
      const told = this.tamper(call.method, call.params ?? {}, reply.result);
      if (told instanceof LiedError) {
        delete reply.result;
        reply.error = told.error;
      } else reply.result = told;
    } else {
      const told = this.overrideRefusal(call.method, call.params ?? {});
      if (told !== undefined) {
        delete reply.error;
        reply.result = told;
      }
    }
    return JSON.stringify(reply);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

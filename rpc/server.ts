import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Dispatcher } from "./dispatch.ts";
import { INVALID_REQUEST } from "./errors.ts";

export interface RpcServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  dispatcher: Dispatcher;
  logger: Logger;
}

/** JSON-RPC over HTTP: POST / with a JSON body; every reply is 200 with a JSON-RPC body, or 204 for none. */
export class RpcServer {
  private readonly opts: RpcServerOptions;
  private readonly server: Server;

  constructor(opts: RpcServerOptions) {
    this.opts = opts;
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.maxConnections = 1024;
    this.server.keepAliveTimeout = 30_000;
    this.server.requestTimeout = 30_000;
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

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== "POST") {
      res.writeHead(405, { "allow": "POST", "content-type": "text/plain" });
      res.end("JSON-RPC 2.0: send a POST with a JSON body\n");
      return;
    }
    const limit = this.opts.maxBodyBytes;
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limit) {
      this.tooLarge(res, limit);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on("data", (chunk: Buffer) => {
      if (aborted) return;
      size += chunk.byteLength;
      if (size > limit) {
        aborted = true;
        this.tooLarge(res, limit);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (aborted) return;
      this.opts.dispatcher
        .handle(Buffer.concat(chunks).toString("utf8"))
        .then((body) => {
          if (body === undefined) {
            res.writeHead(204);
            res.end();
          } else {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(body);
          }
        })
        .catch((err) => {
          this.opts.logger.error({ err }, "RPC request failed");
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
    });
    req.on("error", () => {
      aborted = true;
    });
  }

  private tooLarge(res: ServerResponse, limit: number): void {
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: null,
      error: { code: INVALID_REQUEST, message: `Invalid Request: body exceeds the limit of ${limit} bytes` },
    });
    res.writeHead(413, { "content-type": "application/json", "connection": "close" });
    res.end(body);
  }
}

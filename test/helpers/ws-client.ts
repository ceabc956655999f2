import WebSocket from "ws";

/** A subscription notification's result as the node sends it (every topic has a height and a cursor). */
export interface Notified {
  height: number;
  cursor: string;
  kind: string;
  hash?: string;
  index?: number;
  txHash?: string | null;
  txIndex?: number | null;
  eventIndex?: number;
  type?: string;
  attributes?: Record<string, string>;
  numTxs?: number;
  [key: string]: unknown;
}

export interface Subscribed {
  subscription: string;
  cursor: string;
  latestHeight: number;
}

export interface RpcFailure {
  code: number;
  message: string;
  data?: unknown;
}

/** A JSON-RPC client over a real WebSocket, collecting each subscription's notifications for tests. */
export class TestWsClient {
  readonly ws: WebSocket;
  /** Notifications by subscription id, in arrival order. */
  readonly notified = new Map<string, Notified[]>();
  /** Subscription errors (the node ended a subscription), by subscription id. */
  readonly failed = new Map<string, RpcFailure>();
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Binary frames received: the node must send none (each fails the calls and waits in progress). */
  binaryFrames = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private readonly watchers = new Set<() => void>();

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => {
      ws.on("close", (code, reason) => {
        for (const p of this.pending.values()) p.reject(new Error(`closed ${code} ${reason.toString()}`));
        this.pending.clear();
        resolve({ code, reason: reason.toString() });
        this.poke();
      });
    });
    ws.on("message", (data, isBinary) => {
      // Every JSON-RPC message must come as a text frame: a browser hands a binary one to the page as a Blob.
      if (isBinary) {
        this.binaryFrames++;
        const err = new Error(`the node sent a binary frame: ${data.toString().slice(0, 80)}`);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        this.poke();
        return;
      }
      this.onMessage(data.toString());
    });
    ws.on("error", () => {});
  }

  /** `rpcUrl` is the node's http://HOST:PORT; the socket is ws://HOST:PORT/ws. */
  static async connect(rpcUrl: string): Promise<TestWsClient> {
    const ws = new WebSocket(`${rpcUrl.replace(/^http/, "ws")}/ws`);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return new TestWsClient(ws);
  }

  /** A call's result; rejects with the JSON-RPC error object. */
  call<T>(method: string, params?: unknown): Promise<T> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    });
  }

  /** The error a call is answered with (fails the test if it succeeds). */
  async errorOf(method: string, params?: unknown): Promise<RpcFailure> {
    try {
      await this.call(method, params);
    } catch (err) {
      return err as RpcFailure;
    }
    throw new Error(`${method} succeeded`);
  }

  async subscribe(params: Record<string, unknown>): Promise<Subscribed> {
    const r = await this.call<Subscribed>("subscribe", params);
    if (!this.notified.has(r.subscription)) this.notified.set(r.subscription, []);
    return r;
  }

  items(subscription: string): Notified[] {
    return this.notified.get(subscription) ?? [];
  }

  /** Resolves once `done()` holds (checked on every message), or rejects at the deadline. */
  until(done: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.binaryFrames > 0) {
          clearTimeout(timer);
          this.watchers.delete(check);
          reject(new Error(`the node sent ${this.binaryFrames} binary frame(s) while waiting for ${what}`));
          return;
        }
        if (!done()) return;
        clearTimeout(timer);
        this.watchers.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.watchers.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.watchers.add(check);
    });
  }

  close(): void {
    this.ws.close();
  }

  private onMessage(text: string): void {
    const msg = JSON.parse(text) as {
      id?: number;
      result?: unknown;
      error?: RpcFailure;
      method?: string;
      params?: { subscription: string; result?: Notified; error?: RpcFailure };
    };
    if (msg.method === "subscription" && msg.params !== undefined) {
      const { subscription, result, error } = msg.params;
      if (result !== undefined) {
        const list = this.notified.get(subscription) ?? [];
        list.push(result);
        this.notified.set(subscription, list);
      }
      if (error !== undefined) this.failed.set(subscription, error);
    } else if (typeof msg.id === "number") {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error !== undefined) p?.reject(msg.error);
      else p?.resolve(msg.result);
    }
    this.poke();
  }

  private poke(): void {
    for (const w of [...this.watchers]) w();
  }
}

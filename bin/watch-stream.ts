import WebSocket from "ws";
import { RpcError } from "../rpc/errors.ts";

export interface WatchOptions {
  /** ws://HOST:PORT/ws */
  url: string;
  topic: string;
  filter: Record<string, unknown> | undefined;
  fromHeight: number | undefined;
  cursor: string | undefined;
  print(result: Record<string, unknown>): void;
  /** Says what happens to the connection (stderr). */
  note(text: string): void;
}

/** Waits between reconnections: from the first to the last, doubling. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5000;

/**
 * Subscribes and prints until interrupted. The cursor of the last item printed (or, before any, the one
 * subscribe answered) is kept: when the connection drops for any reason but a refused subscribe, it
 * reconnects and resumes from there, so every item is printed once. Resolves on SIGINT/SIGTERM; rejects
 * when the node refuses the subscription (bad filter, bad cursor).
 */
export async function watch(opts: WatchOptions): Promise<void> {
  let cursor = opts.cursor;
  let fromHeight = cursor === undefined ? opts.fromHeight : undefined;
  let stopping = false;
  let current: WebSocket | undefined;
  const stop = () => {
    stopping = true;
    current?.close(1000);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  let wait = RETRY_FIRST_MS;
  try {
    while (!stopping) {
      const outcome = await session(opts.url, { topic: opts.topic, filter: opts.filter, fromHeight, cursor }, {
        opened: (ws) => {
          current = ws;
        },
        subscribed: (start) => {
          cursor ??= start;
          fromHeight = undefined;
          wait = RETRY_FIRST_MS;
        },
        item: (r) => {
          opts.print(r);
          cursor = r.cursor as string;
          fromHeight = undefined;
        },
      });
      if (stopping) return;
      if (outcome.refused !== undefined) throw outcome.refused;
      opts.note(`connection closed (${outcome.why}); reconnecting in ${wait} ms to resume from cursor ${cursor ?? "(start)"}`);
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(RETRY_MAX_MS, wait * 2);
    }
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

interface SessionHooks {
  opened(ws: WebSocket): void;
  subscribed(cursor: string): void;
  item(result: Record<string, unknown>): void;
}

/** One connection: subscribes, hands each item on, and resolves when it ends (why, or the node's refusal). */
function session(
  url: string,
  params: Record<string, unknown>,
  hooks: SessionHooks,
): Promise<{ why: string; refused?: RpcError }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    hooks.opened(ws);
    let refused: RpcError | undefined;
    ws.on("open", () => {
      const clean = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "subscribe", params: clean }));
    });
    ws.on("message", (data) => {
      const msg = JSON.parse(data.toString()) as {
        id?: number;
        result?: { cursor: string };
        error?: { code: number; message: string; data?: unknown };
        method?: string;
        params?: { result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } };
      };
      if (msg.id === 1) {
        if (msg.error !== undefined) {
          refused = new RpcError(msg.error.code, msg.error.message, msg.error.data);
          ws.close(1000);
        } else if (msg.result !== undefined) {
          hooks.subscribed(msg.result.cursor);
        }
        return;
      }
      if (msg.method !== "subscription") return;
      if (msg.params?.result !== undefined) hooks.item(msg.params.result);
      if (msg.params?.error !== undefined) {
        const e = msg.params.error;
        refused = new RpcError(e.code, e.message, e.data);
        ws.close(1000);
      }
    });
    ws.on("error", () => {}); // 'close' follows with the code
    ws.on("close", (code, reason) => {
      const text = reason.toString();
      resolve({ why: `code ${code}${text === "" ? "" : `: ${text}`}`, refused });
    });
  });
}

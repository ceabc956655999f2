import { z } from "zod";
import { METHOD_NOT_FOUND, RpcError } from "../errors.ts";
import { method } from "../method.ts";

/** The path the RPC port upgrades to WebSocket on: ws://HOST:PORT/ws. */
export const WS_PATH = "/ws";

/**
 * subscribe and unsubscribe as the dispatcher sees them: only a WebSocket connection can carry notifications,
 * and it answers these itself (rpc/ws/connection.ts) when they come as a single request. Over HTTP, or inside
 * a batch, they say where they work instead of a bare "Method not found".
 */
export const websocketOnlyMethods = (["subscribe", "unsubscribe"] as const).map((name) =>
  method({
    name,
    description:
      `${name === "subscribe" ? "Streams blocks, txs or events as they commit" : "Ends a subscription"} ` +
      `(WebSocket only: ws://HOST:PORT${WS_PATH}, each as a single request, not in a batch).`,
    params: z.unknown(),
    handler: () => {
      throw new RpcError(
        METHOD_NOT_FOUND,
        `${name} works over the WebSocket at ws://HOST:PORT${WS_PATH}, as a single request (not over HTTP POST, ` +
        "not in a batch)",
      );
    },
  }));

import { z } from "zod";
import { METHOD_NOT_FOUND, RpcError } from "../errors.ts";
import { method } from "../method.ts";
import { heightOut } from "../schemas.ts";
import { subscribeParams, unsubscribeParams } from "./subscribe-params.ts";

/** The path the RPC port upgrades to WebSocket on: ws://HOST:PORT/ws. */
export const WS_PATH = "/ws";

/**
 * subscribe and unsubscribe as the dispatcher sees them: only a WebSocket connection can carry notifications,
 * and it answers these itself (rpc/ws/connection.ts) when they come as a single request. Over HTTP, or inside
 * a batch, they say where they work instead of a bare "Method not found".
 */
const elsewhere = (name: string) => () => {
  throw new RpcError(
    METHOD_NOT_FOUND,
    `${name} works over the WebSocket at ws://HOST:PORT${WS_PATH}, as a single request (not over HTTP POST, ` +
    "not in a batch)",
  );
};

/** The cursor of a subscription's last item sent: subscribe again with it to go on from there. */
const cursorOut = z.string().describe("opaque: subscribe with it to go on after the last item sent");

export const websocketOnlyMethods = [
  method({
    name: "subscribe",
    description:
      "Streams blocks, txs or events as they commit (WebSocket only: ws://HOST:PORT/ws, a single request, not " +
      "in a batch); notifications { method: \"subscription\", params: { subscription, result } }.",
    params: subscribeParams,
    result: z.strictObject({ subscription: z.string(), cursor: cursorOut, latestHeight: heightOut }),
    handler: elsewhere("subscribe"),
  }),
  method({
    name: "unsubscribe",
    description: "Ends a subscription (WebSocket only: ws://HOST:PORT/ws, a single request, not in a batch).",
    params: unsubscribeParams,
    result: z.strictObject({ unsubscribed: z.string(), cursor: cursorOut }),
    handler: elsewhere("unsubscribe"),
  }),
];

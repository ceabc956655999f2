import { EventEmitter } from "node:events";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type WebSocket from "ws";
import { BodyBytes } from "../../rpc/body-bytes.ts";
import type { RpcContext } from "../../rpc/context.ts";
import type { Dispatcher } from "../../rpc/dispatch.ts";
import { WsConnection } from "../../rpc/ws/connection.ts";
import { DEFAULT_WS_LIMITS, WS_CLIENT_SHARE } from "../../rpc/ws/limits.ts";
import { WsQueueBudget } from "../../rpc/ws/queue-budget.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * A client at its subscription limit unsubscribes one and then subscribes: the subscribe must not be refused.
 * An unsubscribed pump counts against the limit until it has stopped, and one in the middle of a store read
 * (a LevelDB call, which an abort does not cut short) stops only when that read returns: the unsubscribe was
 * answered before that, so the next subscribe was refused "unsubscribe one first" (a CI run of
 * ws-bad-input.test.ts hit it when a block woke the pump just before the unsubscribe).
 */
describe("unsubscribe at the subscription limit", () => {
  it("answers once the pump has stopped, so a subscribe sent right after it gets the place", async () => {
    const sent: { id?: number; result?: unknown; error?: { message: string } }[] = [];
    const socket = Object.assign(new EventEmitter(), {
      bufferedAmount: 0,
      send: (body: Buffer, _opts: unknown, written?: (err?: Error) => void) => {
        const msg = JSON.parse(body.toString()) as { id?: number; method?: string };
        if (msg.method !== "subscription") sent.push(msg);
        if (written !== undefined) setImmediate(written);
      },
      close: () => {},
      terminate: () => {},
    });
    // Each page read is a store read in flight: it returns when the test lets it, whatever the abort signal says.
    const reads: { signal: AbortSignal; finish: () => void }[] = [];
    const dispatcher = {
      read: (text: string) => ({ value: JSON.parse(text) as unknown }),
      observed: () => {},
      contextFor: (signal: AbortSignal) => ({
        request: {
          charge: () => {},
          scan: () => new Promise<void>((resolve) => reads.push({ signal, finish: resolve })),
        },
      }) as unknown as RpcContext,
    } as unknown as Dispatcher;
    const limits = { ...DEFAULT_WS_LIMITS, maxSubscriptionsPerConnection: 1, stallTimeoutMs: 30_000 };
    new WsConnection(socket as unknown as WebSocket, "127.0.0.1", {
      dispatcher,
      limits,
      idleTimeoutMs: 30_000,
      tip: () => 10,
      indexing: true,
      log: pino({ level: "silent" }),
      onTooSlow: () => {},
      budget: new WsQueueBudget(limits.maxQueuedBytesTotal, WS_CLIENT_SHARE),
      requests: new BodyBytes(limits.maxMessageBytes),
    });
    const request = (id: number, method: string, params: unknown) =>
      socket.emit("message", Buffer.from(JSON.stringify({ jsonrpc: "2.0", id, method, params })), false);

    request(1, "subscribe", { topic: "blocks", fromHeight: 1 });
    await waitFor("the pump reading its first page", () => reads[0], 5_000);
    // Sent together, as a client that frees a place and takes it again does.
    request(2, "unsubscribe", { subscription: "1" });
    request(3, "subscribe", { topic: "blocks", fromHeight: 1 });
    await waitFor("the read told to stop", () => reads[0].signal.aborted || undefined, 5_000);
    // The read returns a turn later, as a LevelDB call does.
    setImmediate(reads[0].finish);
    await waitFor("the subscribe's answer", () => sent.find((m) => m.id === 3), 5_000);

    expect(sent.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(sent[1].result).toMatchObject({ unsubscribed: "1" });
    expect(sent[2].error).toBeUndefined();
    expect(sent[2].result).toMatchObject({ subscription: "2" });
    await waitFor("the new pump reading", () => reads[1], 5_000);
    socket.emit("close");
    reads[1].finish();
  });
});

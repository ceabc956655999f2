import pino from "pino";
import { describe, expect, it } from "vitest";
import type { RpcContext } from "../../rpc/context.ts";
import { Dispatcher } from "../../rpc/dispatch.ts";
import type { RpcMethod } from "../../rpc/method.ts";
import { allMethods } from "../../rpc/methods/index.ts";

/**
 * rpc_discover's document is large (every method's schemas, ~166 KB): a batch of 100 discovers must not make
 * the node build or serialize it 100 times. It is answered once per request; the rest of the batch is refused.
 */
function dispatcher() {
  return new Dispatcher({
    methods: (allMethods as readonly RpcMethod[]).filter((m) => m.name === "rpc_discover"),
    context: {} as Omit<RpcContext, "request">,
    maxBatch: 100,
    maxResponseBytes: 64 << 20,
    maxResponseBytesInFlight: 128 << 20,
    maxRequestWork: 1000,
    maxConcurrentScans: 2,
    logger: pino({ level: "silent" }),
    checkResults: true,
  });
}

async function send(d: Dispatcher, body: unknown): Promise<{ text: string; json: unknown }> {
  const reply = await d.handle(JSON.stringify(body));
  reply?.release();
  const text = reply?.body.toString() ?? "null";
  return { text, json: JSON.parse(text) };
}

const discover = (id: number) => ({ jsonrpc: "2.0", id, method: "rpc_discover" });

describe("rpc_discover in a batch", () => {
  it("a batch of 100 discovers is answered once, the other 99 refused with WORK_LIMIT_EXCEEDED", async () => {
    const d = dispatcher();
    const one = await send(d, discover(0));
    const batch = await send(d, Array.from({ length: 100 }, (_, i) => discover(i)));
    const answers = batch.json as { id: number; result?: unknown; error?: { code: number; message: string } }[];
    expect(answers).toHaveLength(100);
    const results = answers.filter((a) => a.result !== undefined);
    expect(results).toHaveLength(1);
    expect(results[0].result).toEqual((one.json as { result: unknown }).result);
    const refused = answers.filter((a) => a.error !== undefined);
    expect(refused).toHaveLength(99);
    expect(refused[0].error).toMatchObject({ code: 2007, message: expect.stringContaining("rpc_discover") });
    expect(batch.text.length).toBeLessThan(one.text.length + 100 * 400);
  });

  it("each request gets its answer, the same document serialized once", async () => {
    const d = dispatcher();
    const a = await send(d, discover(1));
    const b = await send(d, discover(2));
    expect((a.json as { result: unknown }).result).toEqual((b.json as { result: unknown }).result);
    expect(a.text.replace("\"id\":1", "\"id\":2")).toBe(b.text);
  });
});

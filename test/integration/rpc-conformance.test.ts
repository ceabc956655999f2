import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/** JSON-RPC 2.0 conformance over real HTTP against a real node (https://www.jsonrpc.org/specification). */
let chain: TestChain;

beforeAll(async () => {
  chain = await startTestChain({ maxBatch: 5, maxBodyBytes: 4096 });
});
afterAll(async () => {
  await chain.stop();
});

async function post(body: string): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(chain.rpc.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, json: text.length > 0 ? JSON.parse(text) : undefined };
}

describe("JSON-RPC 2.0", () => {
  it("answers a call with the same id and a result", async () => {
    const r = await post("{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"node_getStatus\"}");
    expect(r.json).toMatchObject({
      jsonrpc: "2.0",
      id: "abc",
      result: { chainId: "opl-test-1", catchingUp: false },
    });
  });

  it("-32700 with id null for invalid JSON", async () => {
    const r = await post("{\"jsonrpc\":\"2.0\",\"method\":\"node_getStatus\",\"params\":{");
    expect(r.json).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32700 } });
  });

  it("-32600 for requests that are not valid Request objects", async () => {
    for (const body of [
      "\"hello\"",
      "1",
      "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"node_getStatus\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}",
    ]) {
      const r = await post(body);
      expect((r.json as { error: { code: number } }).error.code, body).toBe(-32600);
    }
    const badParams = await post("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"node_getStatus\",\"params\":\"x\"}");
    expect(badParams.json).toMatchObject({ id: 7, error: { code: -32600 } });
    const badId = await post("{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"node_getStatus\"}");
    expect(badId.json).toMatchObject({ id: null, error: { code: -32600 } });
  });

  it("-32601 for an unknown method", async () => {
    const r = await post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"no_such_method\"}");
    expect(r.json).toMatchObject({
      id: 1,
      error: { code: -32601, message: expect.stringContaining("no_such_method") },
    });
  });

  it("-32602 for wrong, missing, unknown or positional params, saying which", async () => {
    const cases = [
      ["{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"chain_getBlock\",\"params\":{\"height\":\"x\"}}", /height/],
      ["{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"chain_getBlock\",\"params\":{}}", /exactly one of height or hash/],
      ["{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"account_get\",\"params\":{\"address\":\"opl1xyz\"}}", /address/],
      ["{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_getStatus\",\"params\":{\"bogus\":1}}", /bogus/],
      ["{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tx_get\",\"params\":[\"ab\"]}", /by name/],
      ["{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tx_submit\",\"params\":{\"tx\":\"!!!\"}}", /base64/],
    ] as const;
    for (const [body, message] of cases) {
      const r = (await post(body)).json as { error: { code: number; message: string } };
      expect(r.error.code, body).toBe(-32602);
      expect(r.error.message, body).toMatch(message);
    }
  });

  it("application errors carry their own code, a readable message and a stable reason", async () => {
    const r = (await post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"chain_getBlock\",\"params\":{\"height\":999999}}"))
      .json as {
      error: { code: number; message: string; data: { reason: string } };
    };
    expect(r.error.code).toBe(2001);
    expect(r.error.message).toMatch(/does not exist yet/);
    expect(r.error.data.reason).toBe("BLOCK_NOT_FOUND");
  });

  it("sends nothing back for a notification, even a failing one", async () => {
    for (const body of [
      "{\"jsonrpc\":\"2.0\",\"method\":\"node_getStatus\"}",
      "{\"jsonrpc\":\"2.0\",\"method\":\"no_such_method\"}",
    ]) {
      const r = await post(body);
      expect(r.status, body).toBe(204);
      expect(r.text, body).toBe("");
    }
  });

  it("answers batches element by element, omitting notifications", async () => {
    const r = await post(
      JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "bank_getSupply" },
        { jsonrpc: "2.0", method: "node_getStatus" },
        { jsonrpc: "2.0", id: 2, method: "nope" },
        1,
        { jsonrpc: "2.0", id: 3, method: "chain_getBlock", params: { height: 1 } },
      ]),
    );
    const replies = r.json as { id: unknown; result?: unknown; error?: { code: number } }[];
    expect(replies).toHaveLength(4);
    const byId = new Map(replies.map((x) => [x.id, x]));
    expect(byId.get(1)?.result).toMatchObject({ total: expect.any(String) });
    expect(byId.get(2)?.error?.code).toBe(-32601);
    expect(byId.get(null)?.error?.code).toBe(-32600);
  });

  it("an empty batch is one Invalid Request; an all-notification batch gets no reply", async () => {
    expect((await post("[]")).json).toMatchObject({ id: null, error: { code: -32600 } });
    const r = await post(
      "[{\"jsonrpc\":\"2.0\",\"method\":\"node_getStatus\"},{\"jsonrpc\":\"2.0\",\"method\":\"node_getStatus\"}]",
    );
    expect(r.status).toBe(204);
  });

  it("limits batch size and body size", async () => {
    const six = JSON.stringify(
      Array.from({ length: 6 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "node_getStatus" })),
    );
    expect((await post(six)).json).toMatchObject({
      id: null,
      error: { code: -32600, message: expect.stringMatching(/limit of 5/) },
    });
    const big = await post(
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tx_submit", params: { tx: "A".repeat(5000) } }),
    );
    expect(big.status).toBe(413);
    expect(big.json).toMatchObject({
      error: { code: -32600, message: expect.stringMatching(/exceeds the limit/) },
    });
    // and the node still serves
    expect((await post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_getStatus\"}")).json).toMatchObject({
      result: {},
    });
  });

  it("refuses HTTP methods other than POST, GET and OPTIONS", async () => {
    // GET / describes the node (issue 17: test/integration/metrics-http.test.ts); DELETE has no meaning here.
    const res = await fetch(chain.rpc.url, { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, POST, OPTIONS");
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { INVALID_PARAMS, INVALID_REQUEST } from "../../rpc/errors.ts";
import { MAX_JSON_DEPTH } from "../../rpc/request-body.ts";
import { httpRequest } from "../helpers/http-request.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { type RpcFailure, TestWsClient } from "../helpers/ws-client.ts";

/**
 * What a stranger's text costs before the node refuses it, over real HTTP and WebSocket on an in-process node
 * (default limits: 1 MiB bodies and messages, batches of 1000). The node runs in this process, so the tests
 * watch JSON.parse and RegExp.prototype.test directly: a body refused for its shape is never parsed, a
 * WebSocket message is parsed once, and no pattern reads a text longer than its bound. And a search filter
 * too long for the index answers a clear error or scans by another filter, not an internal error.
 */
let chain: TestChain;
const clients: TestWsClient[] = [];

beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 50 });
  await chain.waitForHeight(2);
}, 30_000);

afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await chain?.stop();
});

interface Answer {
  id: unknown;
  result?: unknown;
  error?: RpcFailure;
}

/** 1 MiB of empty arrays: 349,001 elements, each an array JSON.parse would build. */
const WIDE = `[${"[],".repeat(349_000)}[]]`;
/** 500,000 arrays, each inside the one before. */
const DEEP = `${"[".repeat(500_000)}${"]".repeat(500_000)}`;
/** One request whose params hold 349,001 empty objects: no batch, but the same work for JSON.parse. */
const WIDE_PARAMS = `{"jsonrpc":"2.0","id":1,"method":"node_getStatus","params":{"x":[${"{},".repeat(349_000)}{}]}}`;
/** tx_search with every param: the request with the most pieces (arrays, objects, commas) a method takes. */
const fullest = (id: number) => ({
  jsonrpc: "2.0",
  id,
  method: "tx_search",
  params: {
    address: chain.faucet.bech32,
    type: "transfer",
    event: { type: "transfer", attribute: "id", value: "1" },
    fromHeight: 1,
    toHeight: 2,
    order: "asc",
    cursor: "x",
    limit: 1,
  },
});

/** `run`'s result and the texts of `length` characters or more JSON.parse was given meanwhile, in this process. */
async function parsedDuring<T>(length: number, run: () => Promise<T>): Promise<{ result: T; parsed: string[] }> {
  const spy = vi.spyOn(JSON, "parse");
  try {
    const result = await run();
    const parsed = spy.mock.calls.map((c) => c[0]).filter((t) => typeof t === "string" && t.length >= length);
    return { result, parsed };
  } finally {
    spy.mockRestore();
  }
}

/**
 * zod's max() counts code points with this probe for a surrogate (node_modules/zod/v4/core/util.js): one
 * character class, no backtracking, ~0.03 ms a megabyte once compiled; the only pattern that may read a long text.
 */
const ZOD_SURROGATE_PROBE = "[\\uD800-\\uDBFF]";

/** `run`'s result and the length of the longest text a pattern was tried on meanwhile, in this process. */
async function longestPatternInput<T>(run: () => Promise<T>): Promise<{ result: T; longest: number }> {
  const spy = vi.spyOn(RegExp.prototype, "test");
  try {
    const result = await run();
    const lengths = spy.mock.calls
      .filter((_, i) => (spy.mock.contexts[i] as RegExp).source !== ZOD_SURROGATE_PROBE)
      .map((c) => String(c[0]).length);
    return { result, longest: Math.max(0, ...lengths) };
  } finally {
    spy.mockRestore();
  }
}

async function post(body: string): Promise<Answer | Answer[]> {
  const res = await httpRequest(chain.node.rpc.url, { method: "POST", headers: { "content-type": "application/json" }, body });
  return JSON.parse(res.body) as Answer | Answer[];
}

async function errorOf(method: string, params: Record<string, unknown>): Promise<RpcFailure> {
  const answer = await post(JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }));
  expect(Array.isArray(answer)).toBe(false);
  const { error } = answer as Answer;
  if (error === undefined) throw new Error(`${method} succeeded`);
  return error;
}

async function connect(): Promise<TestWsClient> {
  const c = await TestWsClient.connect(chain.node.rpc.url);
  clients.push(c);
  return c;
}

/** The next message the socket gets, parsed (after the spy is gone). */
function nextMessage(c: TestWsClient): Promise<string> {
  return new Promise((resolve) => c.ws.once("message", (d) => resolve(d.toString())));
}

/** A request whose params nest `depth` levels in all (the request object and params count 1 each). */
function nested(depth: number): string {
  const inner = depth - 2;
  return `{"jsonrpc":"2.0","id":1,"method":"node_getStatus","params":{"x":${"[".repeat(inner)}${"]".repeat(inner)}}}`;
}

describe("HTTP bodies are judged before JSON.parse builds them", () => {
  it("refuses a batch over rpc.max_batch without parsing it", async () => {
    expect(WIDE.length).toBeLessThan(1024 * 1024);
    const { result, parsed } = await parsedDuring(WIDE.length, () => post(WIDE));
    expect(parsed).toHaveLength(0); // was parsed whole (~50-80 ms of the event loop), then refused
    const { error } = result as Answer;
    expect(error?.code).toBe(INVALID_REQUEST);
    expect(error?.message).toMatch(/batch of more than 1000 exceeds the limit of 1000 \(rpc\.max_batch\)/);
  });

  it("refuses nesting past MAX_JSON_DEPTH without parsing it, and answers a body at the bound", async () => {
    const { result, parsed } = await parsedDuring(DEEP.length, () => post(DEEP));
    expect(parsed).toHaveLength(0);
    const { error } = result as Answer;
    expect(error?.code).toBe(INVALID_REQUEST);
    expect(error?.message).toMatch(new RegExp(`nested deeper than ${MAX_JSON_DEPTH} levels`));

    const atBound = (await post(nested(MAX_JSON_DEPTH))) as Answer;
    expect(atBound.error?.code).toBe(INVALID_PARAMS); // parsed, and answered by the method's params check
    const past = (await post(nested(MAX_JSON_DEPTH + 1))) as Answer;
    expect(past.error?.code).toBe(INVALID_REQUEST);
    expect(past.error?.message).toMatch(/nested deeper than/);
    // Brackets inside strings are text, not nesting.
    const inString = (await post(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "node_getStatus", params: { x: "[".repeat(10_000) } })));
    expect((inString as Answer).error?.code).toBe(INVALID_PARAMS);
  });

  it("refuses a request of too many pieces without parsing it, and takes a full batch of the fullest requests", async () => {
    const { result, parsed } = await parsedDuring(WIDE_PARAMS.length, () => post(WIDE_PARAMS));
    expect(parsed).toHaveLength(0); // was parsed whole (~80-340 ms), then refused by the params check
    const { error } = result as Answer;
    expect(error?.code).toBe(INVALID_REQUEST);
    expect(error?.message).toMatch(/JSON of more than 32000 arrays, objects and elements/);

    const full = await post(JSON.stringify(Array.from({ length: 1000 }, (_, id) => fullest(id))));
    expect(Array.isArray(full)).toBe(true);
    expect((full as Answer[]).map((a) => a.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    for (const a of full as Answer[]) expect(a.error?.code).not.toBe(INVALID_REQUEST);
  });
});

describe("WebSocket messages are parsed once, and judged first", () => {
  it("parses a message naming subscribe once, and answers it", async () => {
    const c = await connect();
    const text = JSON.stringify([{ jsonrpc: "2.0", id: 77, method: "subscribe", params: { topic: "blocks" } }]);
    const answered = nextMessage(c);
    const { parsed } = await parsedDuring(text.length, async () => {
      c.ws.send(text);
      return answered;
    });
    expect(parsed.filter((t) => t === text)).toHaveLength(1); // was 2: the connection's look, then the dispatcher's
    expect((JSON.parse(await answered) as Answer[])[0].error?.message).toMatch(/not in a batch/);
  });

  it("refuses a wide, deep or many-piece message without parsing it, and the connection goes on", async () => {
    const c = await connect();
    const refusals = [
      [WIDE, /exceeds the limit of 1000 \(rpc\.max_batch\)/],
      [DEEP, /nested deeper than/],
      [WIDE_PARAMS, /JSON of more than 32000/],
    ] as const;
    for (const [text, message] of refusals) {
      const answered = nextMessage(c);
      const { parsed } = await parsedDuring(text.length, async () => {
        c.ws.send(text);
        return answered;
      });
      expect(parsed).toHaveLength(0);
      const { error } = JSON.parse(await answered) as Answer;
      expect(error?.code).toBe(INVALID_REQUEST);
      expect(error?.message).toMatch(message);
    }
    expect(await c.call("chain_getBlockResults", { height: 1 })).toMatchObject({ height: 1 });
  });
});

describe("patterns never read a text longer than its bound", () => {
  const MEGABYTE_ODD_HEX = "a".repeat(1_000_001);

  it("state_getProof's raw key: the length is refused first, alone", async () => {
    const { result, longest } = await longestPatternInput(() => errorOf("state_getProof", { key: { raw: MEGABYTE_ODD_HEX } }));
    expect(result.code).toBe(INVALID_PARAMS);
    expect(result.message).toMatch(/raw must be at most 64 bytes/);
    expect(result.message).not.toMatch(/lowercase hex/); // the pattern ran too (~90 ms), and said so
    expect(longest).toBeLessThan(1000);
  });

  it("a list method's cursor is bounded by its schema", async () => {
    const { result, longest } = await longestPatternInput(() => errorOf("datanet_list", { cursor: MEGABYTE_ODD_HEX }));
    expect(result.code).toBe(INVALID_PARAMS); // was 2005 INVALID_CURSOR, after listAt's pattern read it all
    expect(result.message).toMatch(/cursor must be at most 128 characters/);
    expect(longest).toBeLessThan(1000);
  });

  it("a hash param", async () => {
    const { result, longest } = await longestPatternInput(() => errorOf("tx_get", { hash: MEGABYTE_ODD_HEX }));
    expect(result.code).toBe(INVALID_PARAMS);
    expect(result.message).toMatch(/hash must be 64 lowercase hex characters/);
    expect(longest).toBeLessThan(1000);
  });
});

describe("search filters too long for the index", () => {
  // Each part within the schema's 256 characters; `type \0 attribute \0 value` is 304 bytes of UTF-8.
  const longEvent = { type: "t".repeat(100), attribute: "id", value: "v".repeat(200) };
  // 200 characters, 400 bytes of UTF-8.
  const longType = "é".repeat(200);

  it("tx_search refuses a filter it cannot scan by with INVALID_PARAMS (was -32603 Internal error)", async () => {
    const byEvent = await errorOf("tx_search", { event: longEvent });
    expect(byEvent.code).toBe(INVALID_PARAMS);
    expect(byEvent.message).toMatch(/event is too long to search by/);
    const byType = await errorOf("tx_search", { type: longType });
    expect(byType.code).toBe(INVALID_PARAMS);
    expect(byType.message).toMatch(/type is too long to search by/);
  });

  it("tx_search scans by the other filter when there is one", async () => {
    const page = await chain.rpc.call<{ items: unknown[]; done: boolean }>("tx_search", { type: "transfer", event: longEvent });
    expect(page).toMatchObject({ items: [], done: true });
    const byEvent = await chain.rpc.call<{ items: unknown[] }>("tx_search", {
      type: longType,
      event: { type: "transfer", attribute: "id", value: "1" },
    });
    expect(byEvent.items).toEqual([]);
  });

  it("subscribe refuses such a filter at once, and takes one with another filter", async () => {
    const c = await connect();
    const refused = await c.errorOf("subscribe", { topic: "events", filter: { event: longEvent } });
    expect(refused.code).toBe(INVALID_PARAMS); // was accepted, then ended with an internal error
    expect(refused.message).toMatch(/event is too long to search by/);
    const sub = await c.subscribe({ topic: "txs", filter: { type: "transfer", event: longEvent }, fromHeight: 1 });
    expect(sub.subscription).toBeTypeOf("string");
  });
});

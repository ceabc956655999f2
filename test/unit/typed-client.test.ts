import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, expectTypeOf, it } from "vitest";
import { RpcClient } from "../../rpc/client.ts";
import { RpcError } from "../../rpc/errors.ts";
import { type Namespace, type ParamsOf, type ResultOf, typedClient } from "../../rpc/typed-client.ts";

/**
 * The typed client: `client.<namespace>.<verb>(params)` calls `<namespace>_<verb>` with those params, its types
 * come from the declarations (tsc checks the expectTypeOf lines), errors keep their JSON-RPC code, message and
 * data, and its runtime imports stay browser-safe (fetch only, nothing of the node).
 */

/** An RpcClient that answers from a table instead of the network, noting each call. */
class FakeClient extends RpcClient {
  readonly calls: [string, Record<string, unknown>][] = [];
  private readonly answer: (name: string) => unknown;

  constructor(answer: (name: string) => unknown) {
    super("http://127.0.0.1:1");
    this.answer = answer;
  }

  override async call<T = unknown>(name: string, params: Record<string, unknown> = {}): Promise<T> {
    this.calls.push([name, params]);
    return this.answer(name) as T;
  }
}

describe("the typed client", () => {
  it("calls <namespace>_<verb> with the params given, and answers the result", async () => {
    const fake = new FakeClient((name) => ({ answeredBy: name }));
    const client = typedClient(fake);
    expect(await client.datanet.get({ id: 7 })).toEqual({ answeredBy: "datanet_get" });
    await client.node.getStatus();
    await client.call("attribution_getPayouts", { inferenceId: 3 });
    expect(fake.calls).toEqual([
      ["datanet_get", { id: 7 }],
      ["node_getStatus", {}],
      ["attribution_getPayouts", { inferenceId: 3 }],
    ]);
    // Awaiting a namespace object (or the client) calls nothing.
    expect(await Promise.resolve(client.datanet)).toBeTypeOf("object");
    expect(fake.calls).toHaveLength(3);
  });

  it("throws the node's error with its code, message and data", async () => {
    const client = typedClient(new FakeClient(() => {
      throw new RpcError(2004, "datanet 9 does not exist", { reason: "NOT_FOUND" });
    }));
    const err = await client.datanet.get({ id: 9 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({ code: 2004, message: "datanet 9 does not exist", data: { reason: "NOT_FOUND" } });
  });

  it("types params and results from the declarations", () => {
    const client = typedClient("http://127.0.0.1:1");
    expectTypeOf<ParamsOf<"datanet_get">>().toEqualTypeOf<{ id: number; height?: number; prove?: boolean }>();
    expectTypeOf<ResultOf<"account_get">["balance"]>().toEqualTypeOf<string>();
    expectTypeOf(client.datanet.get).parameter(0).toEqualTypeOf<ParamsOf<"datanet_get">>();
    expectTypeOf(client.datanet.get).returns.resolves.toHaveProperty("contributionCount");
    expectTypeOf(client.gov.getTally).returns.resolves.toHaveProperty("tally");
    expectTypeOf<ResultOf<"tx_getStatus">["status"]>().toEqualTypeOf<
      "included" | "pending" | "rejected" | "evicted" | "unknown"
    >();
    // No namespace hides the client's own members.
    expectTypeOf<Extract<Namespace, "call" | "untyped">>().toBeNever();
    // @ts-expect-error: datanet_get has no `name` param
    void (() => client.datanet.get({ id: 1, name: "x" }));
    // @ts-expect-error: no method datanet_getEverything
    void (() => client.datanet.getEverything({}));
    // @ts-expect-error: subscribe works over the WebSocket only
    void (() => client.call("subscribe", { topic: "blocks" }));
  });

  it("imports at run time only browser-safe files: the RPC client and its error, nothing of the node", () => {
    const root = join(import.meta.dirname, "..", "..");
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, "utf8");
      expect(source, `${relative(root, file)} uses a Node global`).not.toMatch(/^[^/*]*\b(?:Buffer|process|require)\b/m);
      // Value imports only: `import type` lines vanish from a bundle.
      for (const m of source.matchAll(/^import (?!type\b)[^;]*?from "([^"]+)";/gms)) {
        if (m[1].startsWith(".")) visit(resolve(dirname(file), m[1]));
        else expect.fail(`${relative(root, file)} imports the package ${m[1]}`);
      }
    };
    visit(join(root, "rpc", "typed-client.ts"));
    expect([...seen].map((f) => relative(root, f)).sort()).toEqual([
      "rpc/client.ts",
      "rpc/renamed-methods.ts",
      "rpc/rpc-error.ts",
      "rpc/typed-client.ts",
    ]);
  });
});

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import type { RpcContext } from "../../rpc/context.ts";
import { Dispatcher } from "../../rpc/dispatch.ts";
import { deprecatedAlias, method, type RpcMethod } from "../../rpc/method.ts";
import { allMethods } from "../../rpc/methods/index.ts";
import { openRpcDocument } from "../../rpc/openrpc.ts";
import { OLD_METHOD_NAMES } from "../../rpc/renamed-methods.ts";

/**
 * A renamed method's old name: it answers exactly as the new one, the node logs once which name replaces it,
 * and rpc_discover marks it deprecated.
 */
const current = method({
  name: "node_getAnswer",
  description: "The answer.",
  params: z.strictObject({ plus: z.number().default(0) }),
  result: z.strictObject({ answer: z.number() }),
  handler: (p) => ({ answer: 42 + p.plus }),
});

function dispatcher(methods: RpcMethod[], lines: string[]) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return new Dispatcher({
    methods,
    context: {} as Omit<RpcContext, "request">,
    maxBatch: 10,
    maxResponseBytes: 1 << 20,
    maxResponseBytesInFlight: 1 << 22,
    maxRequestWork: 1000,
    maxConcurrentScans: 2,
    logger: pino({ level: "info" }, sink),
    checkResults: true,
  });
}

async function ask(d: Dispatcher, name: string, params: object): Promise<unknown> {
  const reply = await d.handle(JSON.stringify({ jsonrpc: "2.0", id: 1, method: name, params }));
  reply?.release();
  return JSON.parse(reply?.body.toString() ?? "null");
}

describe("a deprecated alias", () => {
  it("answers as the method that replaces it, and the node logs once which name that is", async () => {
    const lines: string[] = [];
    const d = dispatcher([current, deprecatedAlias("node_answer", current)], lines);
    expect(await ask(d, "node_answer", { plus: 1 })).toEqual(await ask(d, "node_getAnswer", { plus: 1 }));
    expect(await ask(d, "node_answer", {})).toMatchObject({ result: { answer: 42 } });
    const warnings = lines.filter((l) => l.includes("deprecated"));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0])).toMatchObject({ method: "node_answer", replacedBy: "node_getAnswer" });
  });

  it("is marked deprecated in the OpenRPC document, naming its replacement; current names are not", () => {
    const doc = openRpcDocument(allMethods as readonly RpcMethod[], "test");
    const old = doc.methods.find((m) => m.name === "node_status");
    expect(old).toMatchObject({ deprecated: true, summary: expect.stringContaining("node_getStatus") });
    expect(doc.methods.find((m) => m.name === "node_getStatus")?.deprecated).toBeUndefined();
    const deprecated = doc.methods.filter((m) => m.deprecated === true).map((m) => m.name).sort();
    expect(deprecated).toEqual(["consensus_evidence", "consensus_state", "node_peers", "node_status"]);
  });

  it("every current name follows <namespace>_<verb>[<Thing>] (subscribe and unsubscribe: the WebSocket's own)", () => {
    const current = (allMethods as readonly RpcMethod[]).filter((m) => m.replacedBy === undefined).map((m) => m.name);
    const VERBS = ["get", "list", "submit", "simulate", "search", "prove", "discover"];
    const off = current.filter((name) => {
      if (name === "subscribe" || name === "unsubscribe") return false;
      const match = /^([a-z]+)_([a-z]+)([A-Z][A-Za-z]*)?$/.exec(name);
      return match === null || !VERBS.includes(match[2]);
    });
    expect(off).toEqual([]);
  });

  it("names the old methods in the tests only where the alias is the point", () => {
    // This file, the results check (the old names answer the same), the typed client against an old node.
    const ABOUT_THE_ALIAS = [
      "test/unit/rpc-deprecated-alias.test.ts",
      "test/integration/rpc-results.test.ts",
      "test/integration/typed-client-old-node.test.ts",
    ];
    const root = join(import.meta.dirname, "..", "..");
    const oldName = new RegExp(`\\b(${Object.values(OLD_METHOD_NAMES).join("|")})\\b`);
    const naming = readdirSync(join(root, "test"), { recursive: true, encoding: "utf8" })
      .filter((f) => /\.(ts|js)$/.test(f))
      .map((f) => relative(root, join(root, "test", f)))
      .filter((f) => !ABOUT_THE_ALIAS.includes(f) && oldName.test(readFileSync(join(root, f), "utf8")));
    expect(naming).toEqual([]);
  });
});

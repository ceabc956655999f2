import { createRequire } from "node:module";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { NODE_VERSION } from "../../node/version.ts";
import type { RpcMethod } from "../../rpc/method.ts";
import { allMethods } from "../../rpc/methods/index.ts";
import { openRpcDocument } from "../../rpc/openrpc.ts";

/**
 * rpc_discover's document against the OpenRPC meta-schema (from the npm package @open-rpc/meta-schema, with the
 * JSON Schema meta-schema it refers to, @json-schema-tools/meta-schema: the machine has no internet), and the
 * parts of it a client relies on: every declared method, params by name, required keys, result schemas.
 */
// Both packages are CommonJS whose .d.ts do not declare the schema objects they export.
const require = createRequire(import.meta.url);
const { openrpcDocument: openRpcMetaSchema } = require("@open-rpc/meta-schema") as { openrpcDocument: object };
const { jsonSchema: jsonSchemaMetaSchema } = require("@json-schema-tools/meta-schema") as { jsonSchema: object };

const methods = allMethods as readonly RpcMethod[];
const doc = openRpcDocument(methods, NODE_VERSION);

/** A meta-schema without its $schema line: ajv knows draft 7, not meta.json-schema.tools as a dialect. */
function withoutDialect(schema: object): object {
  const copy = { ...(schema as Record<string, unknown>) };
  delete copy.$schema;
  return copy;
}

function metaSchemaValidator() {
  // Formats (uri, uri-reference) are not checked: ajv needs a plugin for them and they say nothing of ours.
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(withoutDialect(jsonSchemaMetaSchema), "https://meta.json-schema.tools");
  return ajv.compile(withoutDialect(openRpcMetaSchema));
}

describe("the OpenRPC document", () => {
  it("is valid against the OpenRPC meta-schema", () => {
    const validate = metaSchemaValidator();
    const valid = validate(doc);
    expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 5))).toEqual([]);
    expect(valid).toBe(true);
  });

  it("the meta-schema check catches a broken document (it is not vacuous)", () => {
    const validate = metaSchemaValidator();
    const broken = { ...doc, methods: [{ ...doc.methods[0], paramStructure: "by-keyword" }] };
    expect(validate(broken)).toBe(false);
    expect(validate({ ...doc, openrpc: "9.9.9" })).toBe(false);
  });

  it("lists every declared method once, params by name, with its summary and result schema", () => {
    expect(doc.methods.map((m) => m.name)).toEqual(methods.map((m) => m.name));
    expect(new Set(doc.methods.map((m) => m.name)).size).toBe(doc.methods.length);
    for (const m of doc.methods) {
      expect(m.paramStructure).toBe("by-name");
      expect(m.summary.length, m.name).toBeGreaterThan(10);
      // A real schema, never the empty one (anything goes).
      expect(Object.keys(m.result.schema).some((k) => ["type", "oneOf", "anyOf"].includes(k)), m.name).toBe(true);
    }
  });

  it("describes params as the node validates them: required keys, optional ones, defaults, patterns", () => {
    const byName = new Map(doc.methods.map((m) => [m.name, m]));
    const getBlock = byName.get("datanet_get");
    expect(getBlock?.params.map((p) => [p.name, p.required])).toEqual([
      ["id", true],
      ["height", false],
      ["prove", false],
    ]);
    // limit has a default: a client may leave it out.
    const list = byName.get("datanet_list");
    expect(list?.params.find((p) => p.name === "limit")).toMatchObject({ required: false, schema: { maximum: 100 } });
    const submit = byName.get("tx_get");
    expect(submit?.params[0]).toMatchObject({ name: "hash", required: true, schema: { pattern: "^[0-9a-f]{64}$" } });
  });

  it("holds no $ref: a schema's own definitions would not resolve against the whole document", () => {
    expect(JSON.stringify(doc)).not.toContain("\"$ref\"");
  });

  it("describes results strictly: an object's keys are all listed and no other is allowed", () => {
    const account = doc.methods.find((m) => m.name === "account_get");
    expect(account?.result.schema).toMatchObject({
      type: "object",
      additionalProperties: false,
      required: ["address", "balance", "nonce", "height"],
    });
  });
});

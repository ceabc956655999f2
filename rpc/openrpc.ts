import { z } from "zod";
import { type RpcMethod, summaryOf } from "./method.ts";

/**
 * The OpenRPC 1.x document (https://spec.open-rpc.org) of a list of method declarations: what rpc_discover
 * answers. Made from the declarations alone (name, description, params and result schemas through
 * z.toJSONSchema), so it cannot say anything the node does not check: params are what the dispatcher
 * validates, and results what the tests check every answer against (OPL_CHECK_RPC_RESULTS).
 */

export const OPENRPC_VERSION = "1.3.2";

/** JSON Schema as OpenRPC carries it (draft 7). */
type JsonSchema = Record<string, unknown>;

export interface ContentDescriptor {
  name: string;
  schema: JsonSchema;
  required?: boolean;
  description?: string;
}

export interface OpenRpcMethod {
  name: string;
  summary: string;
  description: string;
  paramStructure: "by-name";
  params: ContentDescriptor[];
  result: ContentDescriptor;
  deprecated?: boolean;
}

export interface OpenRpcDocument {
  openrpc: string;
  info: { title: string; version: string; description: string };
  methods: OpenRpcMethod[];
}

/**
 * A schema as JSON Schema draft 7, without its $schema line (it sits inside the document). `io`: params are
 * described as a client sends them (defaults make a key optional), results as the node sends them.
 */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const json = z.toJSONSchema(schema, { target: "draft-7", io, unrepresentable: "any" }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** A method's named params as OpenRPC content descriptors: one per key of its params object. */
export function paramsOf(m: RpcMethod): ContentDescriptor[] {
  const schema = jsonSchemaOf(m.params, "input");
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => ({
    name,
    schema: s,
    required: required.has(name),
    ...(typeof s.description === "string" ? { description: s.description } : {}),
  }));
}

export function openRpcMethod(m: RpcMethod): OpenRpcMethod {
  return {
    name: m.name,
    summary: summaryOf(m),
    description: m.description,
    paramStructure: "by-name",
    params: paramsOf(m),
    result: { name: `${m.name}Result`, schema: jsonSchemaOf(m.result, "output") },
    ...(m.replacedBy === undefined ? {} : { deprecated: true }),
  };
}

export function openRpcDocument(methods: readonly RpcMethod[], version: string): OpenRpcDocument {
  return {
    openrpc: OPENRPC_VERSION,
    info: {
      title: "OPEN chain node JSON-RPC",
      version,
      description:
        "JSON-RPC 2.0 over HTTP POST / (params by name); subscribe and unsubscribe over the WebSocket at /ws. " +
        "Hashes and bytes lowercase hex, addresses bech32 opl1..., amounts decimal strings of base units " +
        "(1 OPEN = 10^18), heights and ids numbers, times ISO 8601 UTC.",
    },
    methods: methods.map(openRpcMethod),
  };
}

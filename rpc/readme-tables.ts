import type { RpcMethod } from "./method.ts";
import { type OpenRpcMethod, openRpcMethod } from "./openrpc.ts";

/**
 * The README's JSON-RPC method tables, made from the method declarations (npm run docs:rpc rewrites them; a
 * test fails when they differ). Each table sits between a marker naming the namespaces it lists and an end
 * marker; the prose around the tables is the README's own:
 *
 *   <!-- rpc-methods: node consensus chain -->
 *   | method | params | result | summary |
 *   ...
 *   <!-- /rpc-methods -->
 */

const BEGIN = /^<!-- rpc-methods: ([a-z ]+) -->$/;
const END = "<!-- /rpc-methods -->";

/** A method's namespace: the part of its name before `_` (subscribe and unsubscribe are their own). */
export function namespaceOf(name: string): string {
  const i = name.indexOf("_");
  return i === -1 ? name : name.slice(0, i);
}

type Schema = Record<string, unknown>;

/** The top level of a JSON Schema in a table cell: an object's keys (`?` when optional), alternatives by `\|`. */
function shapeOf(schema: Schema): string {
  const alternatives = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (alternatives !== undefined) return alternatives.map(shapeOf).join(" \\| ");
  if (schema.type === "array") return `[${shapeOf((schema.items ?? {}) as Schema)}]`;
  if (schema.type === "object" && schema.properties !== undefined) {
    const required = new Set((schema.required ?? []) as string[]);
    const keys = Object.keys(schema.properties as Schema).map((k) => (required.has(k) ? k : `${k}?`));
    return `{ ${keys.join(", ")} }`;
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  return typeof schema.type === "string" ? schema.type : "any";
}

function cell(text: string): string {
  return text.replaceAll("\n", " ").replace(/(?<!\\)\|/g, "\\|");
}

function row(m: OpenRpcMethod): string {
  const params = m.params.length === 0 ? "—" : `\`{ ${m.params.map((p) => (p.required === true ? p.name : `${p.name}?`)).join(", ")} }\``;
  return `| \`${m.name}\` | ${params} | \`${cell(shapeOf(m.result.schema))}\` | ${cell(m.summary)} |`;
}

/** The table of the methods in `namespaces`, in declaration order. */
export function methodTable(methods: readonly RpcMethod[], namespaces: readonly string[]): string {
  const rows = methods.filter((m) => namespaces.includes(namespaceOf(m.name))).map((m) => row(openRpcMethod(m)));
  return ["| method | params | result | summary |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

export interface TablesRewrite {
  /** The README with every table between markers made anew. */
  text: string;
  /** The namespaces the markers name, all tables together. */
  namespaces: string[];
}

/** Rewrites every marked table of `readme` from the declarations. */
export function rewriteMethodTables(readme: string, methods: readonly RpcMethod[]): TablesRewrite {
  const lines = readme.split("\n");
  const out: string[] = [];
  const namespaces: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    const begin = BEGIN.exec(lines[i]);
    if (begin === null) continue;
    const names = begin[1].trim().split(/\s+/);
    namespaces.push(...names);
    const end = lines.indexOf(END, i + 1);
    if (end === -1) throw new Error(`README line ${i + 1}: a method table marker without ${END}`);
    out.push(methodTable(methods, names), END);
    i = end;
  }
  return { text: out.join("\n"), namespaces };
}

import type { Command } from "commander";
import { formatOpen } from "../../state/units.ts";
import { parsePositiveInt, resolveRpcUrl } from "../cli-util.ts";
import { type Provable, type ProveOpts, withProveOptions } from "./query-prove.ts";
import type { MethodName, ParamsOf, ResultOf } from "../../rpc/typed-client.ts";

export type { Provable } from "./query-prove.ts";

/** What every `opl query` command shares: node options, --height, --json, paging, and short readable output. */

export interface QueryOpts extends ProveOpts {
  rpc?: string;
  home?: string;
  height?: string;
  json?: boolean;
  cursor?: string;
  limit?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  height: number;
}

/** Adds the options every query takes; `provable` ones (single records) also take --prove and its trust options. */
export function withQueryOptions(cmd: Command, list = false, provable = !list): Command {
  cmd
    .option("--rpc <url>", "node JSON-RPC URL")
    .option("--home <dir>", "take the RPC URL from this home's config.toml")
    .option("--height <n>", "read at a past height")
    .option("--json", "print the JSON-RPC result");
  if (provable) withProveOptions(cmd);
  if (list) {
    cmd
      .option("--cursor <cursor>", "start after this cursor (printed at the end of the previous page)")
      .option("--limit <n>", "items per page, 1-100", "20");
  }
  return cmd;
}

/** What runQuery adds to a method's params itself, from --height, --cursor, --limit and --prove. */
type AddedByRunQuery = "height" | "cursor" | "limit" | "prove";

/** A method's params as a query command gives them: the declared params, less what runQuery adds. */
export type QueryParams<N extends MethodName> = Omit<ParamsOf<N>, AddedByRunQuery>;

/**
 * Calls `method` through the typed client (rpc/typed-client.ts: its params and result are the declaration's,
 * so a renamed method or field fails the type check here and in `print`) with `params` plus --height (and,
 * for lists, --cursor/--limit); prints the raw result with --json, else what `print` makes of it. With
 * --prove the answer goes through runProvenQuery (query-prove.ts) and only what it verified is printed.
 */
export async function runQuery<N extends MethodName>(
  opts: QueryOpts,
  method: N,
  params: QueryParams<N>,
  print: (result: ResultOf<N>) => void,
  provable?: Provable<ResultOf<N>>,
): Promise<void> {
  const { typedClient } = await import("../../rpc/typed-client.ts");
  const all: Record<string, unknown> = { ...params };
  if (opts.height !== undefined) all.height = parsePositiveInt(opts.height, "--height");
  if (opts.cursor !== undefined) all.cursor = opts.cursor;
  if (opts.limit !== undefined) all.limit = parsePositiveInt(opts.limit, "--limit");
  const client = typedClient(resolveRpcUrl(opts));
  if (opts.prove === true) {
    const { runProvenQuery } = await import("./query-prove.ts");
    await runProvenQuery(client, opts, method, all as ParamsOf<N>, print, provable);
    return;
  }
  // `all` is ParamsOf<N> (params plus the added fields), which TypeScript cannot see through a generic Omit.
  const call = client.call as (name: N, params: ParamsOf<N>) => Promise<ResultOf<N>>;
  const result = await call(method, all as ParamsOf<N>);
  if (opts.json) console.log(JSON.stringify(result, null, 2));
  else print(result);
}

/** One line per item, then where the next page starts. */
export function printPage<T>(page: Page<T>, line: (item: T) => string, what: string): void {
  if (page.items.length === 0) console.log(`no ${what} (height ${page.height})`);
  for (const item of page.items) console.log(line(item));
  if (page.nextCursor !== null) console.log(`more: --cursor ${page.nextCursor}`);
}

/** "2.5 OPEN" from a decimal string of base units. */
export function open(base: string): string {
  return `${formatOpen(BigInt(base))} OPEN`;
}

/** Fields that hold base units, shown in OPEN. */
const AMOUNT_FIELDS = new Set([
  "balance",
  "tokens",
  "slashed",
  "contributionStake",
  "reviewFee",
  "stake",
  "price",
  "accrued",
  "claimed",
  "amount",
  "total",
  "value",
  "minFee",
  "minSelfStake",
  "powerReduction",
]);

/** A record as aligned "key: value" lines; amounts in OPEN, lists comma-separated, nested objects as JSON. */
export function printFields(record: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(record).map((k) => k.length)) + 1;
  for (const [key, value] of Object.entries(record)) {
    console.log(`${`${key}:`.padEnd(width)} ${show(key, value)}`);
  }
}

function show(key: string, value: unknown): string {
  const name = key.slice(key.lastIndexOf(".") + 1); // "staking.minSelfStake" is an amount too
  if (typeof value === "string" && AMOUNT_FIELDS.has(name) && /^\d+$/.test(value)) return open(value);
  if (Array.isArray(value)) {
    return value.length === 0 ? "-" : value.map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v))).join(", ");
  }
  if (value === null || value === "") return "-";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

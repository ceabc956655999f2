import type { z } from "zod";
import type { RpcContext } from "./context.ts";

/**
 * A JSON-RPC method as data: its name, what it does, the schema of its named params and of its result, and its
 * handler. Everything else comes from this one declaration: params validation (rpc/dispatch.ts), the OpenRPC
 * document (rpc/openrpc.ts, rpc_discover), the README's method tables (npm run docs:rpc) and the typed client
 * (rpc/typed-client.ts), whose types are inferred from `params` and `result`.
 */
export interface RpcMethod<
  N extends string = string,
  P extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  name: N;
  /** What it answers first (up to the first `:`, `;` or `.`: the one-line summary, summaryOf), then details. */
  description: string;
  params: P;
  /** What the handler answers. Tests check every answer against it (OPL_CHECK_RPC_RESULTS, vitest.config.ts). */
  result: R;
  /** An old name kept for a deprecation period: the name that replaces it. */
  replacedBy?: string;
  /**
   * The call's wait is bounded by a queue of its own, not by the batch: tx_submit waits for its signature check
   * in the mempool's admission queue, which refuses MEMPOOL_FULL beyond ADMISSION_QUEUE_MS of work. A batch
   * then starts every such call at once (its synchronous part paced as any call's) instead of BATCH_CONCURRENCY
   * at a time, so that its signatures are checked together, not in rounds of 32 one after another.
   */
  waitsInOwnQueue?: boolean;
  // Method syntax (bivariant): a method of precise params is still an RpcMethod to the dispatcher.
  handler(params: z.output<P>, ctx: RpcContext): unknown;
}

/** Declares a method, keeping its name and schemas' types (the typed client infers its calls from them). */
export function method<const N extends string, P extends z.ZodType, R extends z.ZodType>(
  def: RpcMethod<N, P, R>,
): RpcMethod<N, P, R> {
  return def;
}

/**
 * The old name of a renamed method, kept for a deprecation period: it answers exactly as `current` does, is
 * marked deprecated in the OpenRPC document, and the dispatcher logs (once) which name replaces it.
 */
export function deprecatedAlias<const N extends string, P extends z.ZodType, R extends z.ZodType>(
  oldName: N,
  current: RpcMethod<string, P, R>,
): RpcMethod<N, P, R> & { replacedBy: string } {
  return {
    ...current,
    name: oldName,
    description: `Deprecated (use ${current.name}): the old name of ${current.name}, answered exactly as it. ` +
      current.description,
    replacedBy: current.name,
  };
}

/**
 * A method's one-line summary: its description up to the first `:`, `;` or end of sentence outside brackets
 * (the description says what the method answers first, then the details).
 */
export function summaryOf(m: Pick<RpcMethod, "description">): string {
  const text = m.description;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(" || c === "{" || c === "[") depth++;
    else if (c === ")" || c === "}" || c === "]") depth = Math.max(0, depth - 1);
    else if (depth === 0 && (c === ":" || c === ";" || (c === "." && /\s/.test(text[i + 1] ?? " ")))) {
      return `${text.slice(0, i)}.`;
    }
  }
  return text;
}

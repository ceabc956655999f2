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
  /** The first sentence is the method's one-line summary (OpenRPC `summary`, the README tables). */
  description: string;
  params: P;
  /** What the handler answers. Tests check every answer against it (OPL_CHECK_RPC_RESULTS, vitest.config.ts). */
  result: R;
  /** An old name kept for a deprecation period: the name that replaces it. */
  replacedBy?: string;
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
    description: `Deprecated: the old name of ${current.name}, which it answers exactly as. ${current.description}`,
    replacedBy: current.name,
  };
}

/** The first sentence of a description: a method's one-line summary. */
export function summaryOf(m: Pick<RpcMethod, "description">): string {
  const end = m.description.search(/\.(\s|$)/);
  return end === -1 ? m.description : m.description.slice(0, end + 1);
}

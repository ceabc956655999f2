import type { z } from "zod";
import type { RpcContext } from "./context.ts";

/** A JSON-RPC method as data: its name, what it does, the schema of its named params, and its handler. */
export interface RpcMethod<P extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  params: P;
  handler(params: z.infer<P>, ctx: RpcContext): unknown;
}

export function method<P extends z.ZodType>(def: RpcMethod<P>): RpcMethod {
  return def as unknown as RpcMethod;
}

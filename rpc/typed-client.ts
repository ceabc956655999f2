import type { z } from "zod";
import { RpcClient } from "./client.ts";
// Types only: the declarations (and the node code behind them) never reach a bundle of this client.
import type { allMethods } from "./methods/index.ts";

/**
 * A JSON-RPC client whose calls are typed from the method declarations (rpc/methods/*.ts): each method's params
 * are z.input of its params schema and its result z.output of its result schema, so a method or a field
 * renamed in a declaration is a type error at every call. `client.datanet.get({ id: 1 })` calls `datanet_get`;
 * `client.call("datanet_get", { id: 1 })` is the same. Errors are RpcClient's: RpcError with the answer's code,
 * message and data, NodeUnreachableError when nothing answers. Browser-safe: fetch only.
 */

type Declared = (typeof allMethods)[number];

/**
 * The methods called over HTTP: not the WebSocket's subscribe and unsubscribe, and not the deprecated old
 * names (a deprecated alias carries `replacedBy`: a client written against this type uses the new names).
 */
type Callable = Exclude<Declared, { replacedBy: string } | { name: "subscribe" | "unsubscribe" }>;

export type MethodName = Callable["name"];
type MethodNamed<N extends MethodName> = Extract<Callable, { name: N }>;
export type ParamsOf<N extends MethodName> = z.input<MethodNamed<N>["params"]>;
export type ResultOf<N extends MethodName> = z.output<MethodNamed<N>["result"]>;

/** A call; its params may be left out when the method needs none. */
type CallOf<N extends MethodName> = Record<string, never> extends ParamsOf<N>
  ? (params?: ParamsOf<N>) => Promise<ResultOf<N>>
  : (params: ParamsOf<N>) => Promise<ResultOf<N>>;

type NamespaceOf<N> = N extends `${infer NS}_${string}` ? NS : never;
export type Namespace = NamespaceOf<MethodName>;

/** `client.<namespace>.<verb>(params)` for each method `<namespace>_<verb>`. */
export type TypedNamespaces = {
  [NS in Namespace]: { [N in MethodName as N extends `${NS}_${infer V}` ? V : never]: CallOf<N> };
};

export type TypedClient = TypedNamespaces & {
  /** Any method by its full name, typed the same. */
  call<N extends MethodName>(name: N, ...params: Parameters<CallOf<N>>): Promise<ResultOf<N>>;
  /**
   * The untyped client underneath (batches, methods a newer node has that this build does not know). Not
   * `rpc`: that is the namespace of rpc_discover.
   */
  readonly untyped: RpcClient;
};

/** A typed client of the node at `url` (http://HOST:PORT), or over an existing RpcClient. */
export function typedClient(target: string | RpcClient): TypedClient {
  const rpc = typeof target === "string" ? new RpcClient(target) : target;
  const call = (name: string, params: object = {}) => rpc.call(name, params as Record<string, unknown>);
  const namespaces = new Map<string, object>();
  const namespace = (ns: string) =>
    new Proxy(
      {},
      {
        get: (_target, verb) =>
          // "then": so that awaiting a namespace object does not call a method named <ns>_then.
          typeof verb === "string" && verb !== "then" ? (params?: object) => call(`${ns}_${verb}`, params) : undefined,
      },
    );
  const base = { call, untyped: rpc };
  return new Proxy(base, {
    get: (target, key) => {
      if (key in target) return target[key as keyof typeof base];
      if (typeof key !== "string" || key === "then") return undefined;
      let ns = namespaces.get(key);
      if (ns === undefined) namespaces.set(key, (ns = namespace(key)));
      return ns;
    },
  }) as unknown as TypedClient;
}

import type { z } from "zod";
import { RpcClient } from "./client.ts";
import { OLD_METHOD_NAMES } from "./renamed-methods.ts";
import { METHOD_NOT_FOUND, RpcError } from "./rpc-error.ts";
// Types only: the declarations (and the node code behind them) never reach a bundle of this client.
import type { allMethods } from "./methods/index.ts";

/**
 * A JSON-RPC client whose calls are typed from the method declarations (rpc/methods/*.ts): each method's params
 * are z.input of its params schema and its result z.output of its result schema, so a method or a field
 * renamed in a declaration is a type error at every call. `client.datanet.get({ id: 1 })` calls `datanet_get`;
 * `client.call("datanet_get", { id: 1 })` is the same. Errors are RpcClient's: RpcError with the answer's code,
 * message and data, NodeUnreachableError when nothing answers. Browser-safe: fetch only.
 *
 * A node from before the method renames answers a renamed method's new name (node_getStatus, ...) with -32601
 * "Method not found": such a call is made once more under the old name (OLD_METHOD_NAMES), and the client, now
 * knowing its node is old, calls the old names of renamed methods from then on. Nothing else is retried.
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
  const call = withOldNames((name, params) => rpc.call(name, params as Record<string, unknown>));
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

type Send = (name: string, params: object) => Promise<unknown>;

/**
 * `send` with the fallback for a node from before the renames: a renamed method's new name answered -32601 is
 * sent once more under its old name, and once the old name answered, every renamed method goes to its old name.
 */
function withOldNames(send: Send): (name: string, params?: object) => Promise<unknown> {
  let oldNode = false;
  return async (name, params = {}) => {
    const oldName = (OLD_METHOD_NAMES as Record<string, string>)[name];
    if (oldName === undefined) return send(name, params);
    if (oldNode) return send(oldName, params);
    try {
      return await send(name, params);
    } catch (err) {
      if (!(err instanceof RpcError) || err.code !== METHOD_NOT_FOUND) throw err;
      let answer: unknown;
      try {
        answer = await send(oldName, params);
      } catch (retried) {
        // A node that knows neither name: its answer to the new name stands.
        if (retried instanceof RpcError && retried.code === METHOD_NOT_FOUND) throw err;
        // One that knows the old name (it refused the params, say): that answer is the one to see.
        if (retried instanceof RpcError) oldNode = true;
        throw retried;
      }
      oldNode = true;
      return answer;
    }
  };
}

import type { z } from "zod";
import { deprecatedAlias, type RpcMethod } from "../method.ts";
import { OLD_METHOD_NAMES } from "../renamed-methods.ts";
import { consensusMethods } from "./consensus.ts";
import { nodeMethods } from "./node.ts";

/**
 * Old method names, answered for a deprecation period (until the release after next): every name follows
 * `<namespace>_<verb>[<Thing>]` now, the thing left out when it is the namespace's own record (datanet_get,
 * tx_submit). Each alias answers exactly as the method that replaces it, is marked deprecated in rpc_discover,
 * and the node logs (once per run) which name replaces it.
 */

/** The declared method named `name` of a namespace's list (a typo is a type error). */
function named<const M extends readonly RpcMethod[], N extends M[number]["name"]>(methods: M, name: N) {
  const found = methods.find((m) => m.name === name);
  if (found === undefined) throw new Error(`no method ${name}`);
  return found as Extract<M[number], { name: N }>;
}

/** One alias per renamed method: OLD_METHOD_NAMES is the one table of old names (the typed client's too). */
function aliasOf<N extends keyof typeof OLD_METHOD_NAMES, P extends z.ZodType, R extends z.ZodType>(
  method: RpcMethod<N, P, R>,
) {
  return deprecatedAlias(OLD_METHOD_NAMES[method.name], method);
}

export const deprecatedMethods = [
  aliasOf(named(nodeMethods, "node_getStatus")),
  aliasOf(named(nodeMethods, "node_getPeers")),
  aliasOf(named(consensusMethods, "consensus_getState")),
  aliasOf(named(consensusMethods, "consensus_getEvidence")),
];

import type { RpcMethod } from "../method.ts";
import { accountMethods } from "./account.ts";
import { chainMethods } from "./chain.ts";
import { consensusMethods } from "./consensus.ts";
import { nodeMethods } from "./node.ts";
import { txMethods } from "./tx.ts";

/** Every JSON-RPC method the node serves, one file per namespace. */
export const allMethods: RpcMethod[] = [
  ...nodeMethods,
  ...chainMethods,
  ...txMethods,
  ...accountMethods,
  ...consensusMethods,
];

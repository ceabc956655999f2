import { accountMethods } from "./account.ts";
import { attributionMethods } from "./attribution.ts";
import { chainMethods } from "./chain.ts";
import { consensusMethods } from "./consensus.ts";
import { datanetMethods } from "./datanets.ts";
import { deprecatedMethods } from "./deprecated.ts";
import { discoverMethods } from "./discover.ts";
import { govMethods } from "./gov.ts";
import { modelMethods } from "./models.ts";
import { nodeMethods } from "./node.ts";
import { paramsMethods } from "./params.ts";
import { proofMethods } from "./proofs.ts";
import { searchMethods } from "./search.ts";
import { stakingMethods } from "./staking.ts";
import { txMethods } from "./tx.ts";
import { upgradeMethods } from "./upgrade.ts";
import { websocketOnlyMethods } from "../ws/http-methods.ts";

/**
 * Every JSON-RPC method the node serves, one file per namespace. Not widened to RpcMethod[]: the typed client
 * (rpc/typed-client.ts) infers each method's params and result from this list's type.
 */
export const allMethods = [
  ...nodeMethods,
  ...chainMethods,
  ...txMethods,
  ...searchMethods,
  ...accountMethods,
  ...consensusMethods,
  ...paramsMethods,
  ...stakingMethods,
  ...datanetMethods,
  ...modelMethods,
  ...attributionMethods,
  ...govMethods,
  ...upgradeMethods,
  ...proofMethods,
  ...websocketOnlyMethods,
  ...discoverMethods,
  ...deprecatedMethods,
];

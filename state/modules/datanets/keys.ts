import { idKey, MODULE_PREFIX, stateKey } from "../../keys.ts";

/** The datanets module's record keys (state/keys.ts documents each prefix), for the module and its readers. */

/** Every datanet: `dn/net/<id 8>`. */
export const DATANET_PREFIX: Uint8Array = MODULE_PREFIX.datanet;
/** Every contribution: `dn/contrib/<id 8>`. */
export const CONTRIBUTION_PREFIX: Uint8Array = MODULE_PREFIX.contribution;
/** Every published version: `dn/ver/<datanet id 8><version 8>`. */
export const DATANET_VERSION_PREFIX: Uint8Array = MODULE_PREFIX.datanetVersion;

export const datanetKey = (id: number): Uint8Array => stateKey(DATANET_PREFIX, idKey(id));
export const contributionKey = (id: number): Uint8Array => stateKey(CONTRIBUTION_PREFIX, idKey(id));
export const datanetVersionKey = (datanetId: number, version: number): Uint8Array =>
  stateKey(DATANET_VERSION_PREFIX, idKey(datanetId), idKey(version));

import { idKey, MODULE_PREFIX, stateKey } from "../../keys.ts";

/** The key prefixes RPC may list of the datanets module (so that nothing outside it builds its keys). */
export const datanetScans = {
  /** Every datanet record, by id. */
  all: (): Uint8Array => MODULE_PREFIX.datanet,
  /** Ids of a datanet's contributions. */
  contributionsOf: (datanetId: number): Uint8Array => stateKey(MODULE_PREFIX.contributionsByDatanet, idKey(datanetId)),
  /** Ids of a contributor's contributions. */
  contributionsBy: (contributor: Uint8Array): Uint8Array =>
    stateKey(MODULE_PREFIX.contributionsByContributor, contributor),
};

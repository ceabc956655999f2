import { idKey, MODULE_PREFIX, stateKey } from "../../keys.ts";

/** The key prefixes RPC may list of the attribution module (so that nothing outside it builds its keys). */
export const attributionScans = {
  /** Ids of a model's paid inferences. */
  inferencesOfModel: (modelId: number): Uint8Array => stateKey(MODULE_PREFIX.inferencesByModel, idKey(modelId)),
  /** Ids of a payer's inferences. */
  inferencesByPayer: (payer: Uint8Array): Uint8Array => stateKey(MODULE_PREFIX.inferencesByPayer, payer),
  /** Ids of the inferences that credited a contribution. */
  inferencesCrediting: (contributionId: number): Uint8Array =>
    stateKey(MODULE_PREFIX.inferencesByContribution, idKey(contributionId)),
  /** What an address earned from each source (kind byte + id), summed. */
  rewardSourcesOf: (address: Uint8Array): Uint8Array => stateKey(MODULE_PREFIX.rewardSource, address),
};

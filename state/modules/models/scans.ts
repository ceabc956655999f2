import { utf8 } from "../../../crypto/bytes.ts";
import { sha256 } from "../../../crypto/hash.ts";
import { idKey, MODULE_PREFIX, stateKey } from "../../keys.ts";

/**
 * The key prefixes RPC may list (page through) of the models module: its records and its indexes. The module
 * publishes them so that nothing outside it builds its keys.
 */
export const modelScans = {
  /** Every model record, by id. */
  all: (): Uint8Array => MODULE_PREFIX.model,
  /** Ids of an owner's models. */
  byOwner: (owner: Uint8Array): Uint8Array => stateKey(MODULE_PREFIX.modelsByOwner, owner),
  /** Ids of the models fine-tuned from a base model (by name). */
  byBase: (baseModel: string): Uint8Array => stateKey(MODULE_PREFIX.modelsByBase, sha256(utf8(baseModel))),
  /** Ids of the models trained on a datanet. */
  byDatanet: (datanetId: number): Uint8Array => stateKey(MODULE_PREFIX.modelsByDatanet, idKey(datanetId)),
};

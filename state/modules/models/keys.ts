import { idKey, MODULE_PREFIX, stateKey } from "../../keys.ts";

/** The models module's record keys (state/keys.ts documents each prefix), for the module and its readers. */

/** Every model or adapter: `mdl/model/<id 8>`. */
export const MODEL_PREFIX: Uint8Array = MODULE_PREFIX.model;
export const modelKey = (id: number): Uint8Array => stateKey(MODEL_PREFIX, idKey(id));

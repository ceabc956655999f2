import { utf8 } from "../../../crypto/bytes.ts";
import type { ChainParams } from "../../params.ts";
import { paramsFromJson, paramsToJson } from "../../params-check.ts";
import type { Overlay, StateReader } from "../../view.ts";
import { PARAMS_KEY } from "./keys.ts";

export { PARAMS_KEY } from "./keys.ts";

/**
 * The chain params in state. The record is written only when a governance change executes, so a chain
 * that never changed them has no such key and keeps the state roots it had (absent = genesis params). The
 * node reads them once per block into BlockContext.params: a change made in block H applies from H + 1.
 */

export function currentParams(view: StateReader, genesisParams: ChainParams): ChainParams {
  const raw = view.get(PARAMS_KEY);
  if (raw === undefined) return genesisParams;
  // Checked when written; read with the same function, so a record that does not parse is corrupt state.
  return paramsFromJson(JSON.parse(new TextDecoder().decode(raw)));
}

/** The encoding of params in state: JSON in DEFAULT_PARAMS's key order (what genesis.json's params are). */
export function encodeParams(params: ChainParams): Uint8Array {
  return utf8(JSON.stringify(paramsToJson(params)));
}

export function writeParams(view: Overlay, params: ChainParams): void {
  view.set(PARAMS_KEY, encodeParams(params));
}

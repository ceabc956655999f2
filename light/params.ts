import { refuse } from "./errors.ts";
import type { StateProofAnswer } from "./json.ts";
import { verifyStateProofAnswer } from "./state-answer.ts";
import { stateKeyOf } from "./state-keys.ts";
import type { Header } from "./types.ts";

/**
 * The chain params in force after block H, proven. Governance writes the params record (`gov/params`, the
 * params as JSON) when a change executes; a chain that never changed them has no such key, and its params
 * are the genesis params. So a proof answers either way:
 * - inclusion: the proven bytes are the params (JSON); the node's decoded `value` is not used;
 * - absence: the genesis params are in force. They are in no header or state, so the client must already
 *   hold them: from the genesis file it trusts (the same file whose validators a client trusting genesis
 *   starts from). Without them an absence proves only that genesis's params apply, and is refused here
 *   (NEEDS_GENESIS) rather than answered with values nobody checked.
 */

export interface GenesisParams {
  /** The genesis file's chain id: it must be the verified header's chain. */
  chainId: string;
  /** The genesis file's `params` section, as JSON. */
  params: Record<string, unknown>;
}

export interface VerifiedParams {
  height: number;
  /** "state": a governance change is in force (the proven record); "genesis": none is (the key is proven absent). */
  source: "state" | "genesis";
  params: Record<string, unknown>;
}

/**
 * Checks a state_getProof answer for `{ params: true }` against a verified header (verifyStateProofAnswer,
 * for the params key), and returns the params it proves in force after that header's block.
 */
export function verifyParamsAnswer(
  answer: StateProofAnswer,
  verifiedHeader: Header,
  verifiedHash: Uint8Array,
  genesis?: GenesisParams,
): VerifiedParams {
  const proved = verifyStateProofAnswer(answer, verifiedHeader, verifiedHash, stateKeyOf({ params: true }));
  const height = answer.height;
  if (proved.kind === "inclusion") {
    let params: unknown;
    try {
      params = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(answer.valueBytes));
    } catch {
      refuse("MALFORMED", `the proven params record at height ${height} is not JSON`);
    }
    if (typeof params !== "object" || params === null || Array.isArray(params))
      refuse("MALFORMED", `the proven params record at height ${height} is not a JSON object`);
    return { height, source: "state", params: params as Record<string, unknown> };
  }
  if (genesis === undefined) {
    refuse(
      "NEEDS_GENESIS",
      `the params record is proven absent at height ${height}: the genesis params are in force, and only the ` +
      "genesis file tells them (give its params)",
    );
  }
  if (genesis.chainId !== verifiedHeader.chainId) {
    refuse("WRONG_CHAIN", `the genesis params are of chain "${genesis.chainId}", the header of "${verifiedHeader.chainId}"`);
  }
  return { height, source: "genesis", params: genesis.params };
}

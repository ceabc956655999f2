import { addressFromPublicKey, encodeAddress } from "../crypto/address.ts";
import { equalBytes, toBase64 } from "../crypto/bytes.ts";
import type { Validator } from "../proto/block.ts";
import type { InferencePayouts, StakingValidator } from "../proto/module-records.ts";
import { isJailed, votingPower } from "../state/modules/staking/staking.ts";
import type { StakingParams } from "../state/params.ts";
import { jsonValue } from "./views.ts";

/** JSON shapes of the module records, on top of jsonValue's conventions. */

/**
 * A record as JSON. Optional byte fields (a reviewer, an operator, an output hash not yet set) are stored
 * empty; they read as null rather than as an empty hex string.
 */
export function recordView(record: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k, v instanceof Uint8Array && v.byteLength === 0 ? null : jsonValue(v)]),
  );
}

export function validatorView(v: StakingValidator, params: StakingParams, activeSet: readonly Validator[]) {
  const consensusAddress = addressFromPublicKey(v.consensusPubkey);
  return {
    operator: encodeAddress(v.operator),
    consensusAddress: encodeAddress(consensusAddress),
    consensusPubKey: toBase64(v.consensusPubkey),
    moniker: v.moniker,
    tokens: v.tokens.toString(),
    shares: v.shares.toString(),
    // What its bonded tokens are worth in votes (before the cap that keeps a set's total exact).
    power: Number(votingPower(v, params)),
    jailed: isJailed(v),
    jailedUntil: v.jailedUntil,
    tombstoned: v.tombstoned,
    slashed: v.slashed.toString(),
    active: activeSet.some((s) => equalBytes(s.address, consensusAddress)),
    createdHeight: v.createdHeight,
  };
}

/** An inference's payouts: what the treasury, the model owner and each contribution was credited. */
export function payoutsView(p: InferencePayouts) {
  return {
    inferenceId: p.inferenceId,
    modelId: p.modelId,
    price: p.price.toString(),
    treasury: p.treasury.toString(),
    owner: { address: encodeAddress(p.owner), amount: p.ownerAmount.toString() },
    contributions: p.credits.map((c) => ({
      weight: c.weight,
      contributionId: c.contributionId,
      contributor: encodeAddress(c.contributor),
      amount: c.amount.toString(),
    })),
  };
}

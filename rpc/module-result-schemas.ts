import { z } from "zod";
import { PROPOSAL_STATUSES } from "../proto/gov-records.ts";
import { DEFAULT_PARAMS } from "../state/params.ts";
import { addressOut, amountOut, base64Bytes, countOut, hashHex, heightOut, idOut } from "./schemas.ts";

/**
 * Result schemas of the module records as the get and list methods show them (rpc/module-views.ts recordView:
 * ids and heights numbers, amounts decimal strings, addresses opl1..., hashes hex, unset optional bytes null).
 */

const ppm = z.number().int().min(0).max(1_000_000).describe("parts per million");

export const datanetOut = z.strictObject({
  id: idOut,
  owner: addressOut,
  name: z.string(),
  description: z.string(),
  license: z.string(),
  curators: z.array(addressOut),
  contributionStake: amountOut,
  reviewFee: amountOut,
  allowListed: z.boolean(),
  contributors: z.array(addressOut),
  createdHeight: heightOut,
  acceptedCount: countOut,
  versionCount: countOut,
  contributionCount: countOut,
});

export const contributionOut = z.strictObject({
  id: idOut,
  datanetId: idOut,
  contributor: addressOut,
  contentHash: hashHex,
  uri: z.string(),
  sizeBytes: countOut,
  metadata: z.string(),
  stake: amountOut.describe("locked while pending (0 once returned, kept or slashed)"),
  status: z.enum(["pending", "accepted", "rejected", "slashed"]),
  acceptIndex: countOut,
  createdHeight: heightOut,
  reviewedHeight: heightOut,
  reviewer: addressOut.nullable(),
  staked: amountOut,
  slashedAmount: amountOut,
});

export const datanetVersionRefOut = z.strictObject({ datanetId: idOut, version: idOut });

export const modelOut = z.strictObject({
  id: idOut,
  owner: addressOut,
  name: z.string(),
  kind: z.enum(["model", "adapter"]),
  parentId: idOut.describe("an adapter's parent; 0 for a full model"),
  baseModel: z.string(),
  weightsHash: hashHex,
  uri: z.string(),
  trainedOn: z.array(datanetVersionRefOut),
  price: amountOut,
  operators: z.array(addressOut),
  retired: z.boolean(),
  version: countOut,
  createdHeight: heightOut,
  updatedHeight: heightOut,
});

export const attributionWeightOut = z.strictObject({
  contributionId: idOut,
  datanetId: idOut,
  version: countOut,
  ppm,
});

export const inferenceOut = z.strictObject({
  id: idOut,
  modelId: idOut,
  payer: addressOut,
  requestHash: hashHex,
  price: amountOut,
  createdHeight: heightOut,
  expiresHeight: heightOut,
  status: z.enum(["paid", "recorded", "expired"]),
  operator: addressOut.nullable(),
  outputHash: hashHex.nullable(),
  weights: z.array(attributionWeightOut),
  recordedHeight: heightOut,
});

export const payoutsOut = z.strictObject({
  inferenceId: idOut,
  modelId: idOut,
  price: amountOut,
  treasury: amountOut,
  owner: z.strictObject({ address: addressOut, amount: amountOut }),
  contributions: z.array(
    z.strictObject({ weight: countOut, contributionId: idOut, contributor: addressOut, amount: amountOut }),
  ),
});

export const validatorOut = z.strictObject({
  operator: addressOut,
  consensusAddress: addressOut,
  consensusPubKey: base64Bytes,
  moniker: z.string(),
  tokens: amountOut,
  shares: amountOut,
  power: countOut,
  jailed: z.boolean(),
  jailedUntil: heightOut,
  tombstoned: z.boolean(),
  slashed: amountOut,
  active: z.boolean().describe("in the validator set producing the next block"),
  createdHeight: heightOut,
});

export const tallyOut = z.strictObject({ yes: amountOut, abstain: amountOut, no: amountOut, noWithVeto: amountOut });

export const proposalStatusOut = z.enum(PROPOSAL_STATUSES);

export const proposalContentOut = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("text") }),
  z.strictObject({
    kind: z.literal("params"),
    changes: z.array(z.strictObject({ key: z.string(), value: z.string() })),
  }),
  z.strictObject({ kind: z.literal("spend"), to: addressOut, amount: amountOut }),
  z.strictObject({ kind: z.literal("spend_datanet"), datanetId: idOut, version: idOut, amount: amountOut }),
  z.strictObject({ kind: z.literal("upgrade"), name: z.string(), height: heightOut }),
]);

export const proposalOut = z.strictObject({
  id: idOut,
  proposer: addressOut,
  title: z.string(),
  description: z.string(),
  initialDeposit: amountOut,
  content: proposalContentOut,
  kind: z.enum(["text", "params", "spend", "spend_datanet", "upgrade"]).describe("content.kind"),
  status: proposalStatusOut,
  submitHeight: heightOut,
  depositEnd: heightOut,
  votingEnd: heightOut,
  totalDeposit: amountOut,
  tally: tallyOut,
  failure: z.string(),
});

/**
 * The chain parameters as chain_getParams shows them, built from the parameters themselves (DEFAULT_PARAMS):
 * a parameter added to ChainParams is in the schema with no second list to keep. bigint -> amount string,
 * number -> integer, nested -> object.
 */
function shapeOf(value: unknown): z.ZodType {
  if (typeof value === "bigint") return amountOut;
  if (typeof value === "number") return z.number().int();
  if (typeof value === "boolean") return z.boolean();
  if (typeof value === "string") return z.string();
  if (value !== null && typeof value === "object") {
    return z.strictObject(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)])));
  }
  throw new Error(`chain parameter of unexpected type ${typeof value}`);
}

export const chainParamsOut = (shapeOf(DEFAULT_PARAMS) as z.ZodObject).extend({ height: heightOut });

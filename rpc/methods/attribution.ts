import { z } from "zod";
import { decodeAddress } from "../../crypto/address.ts";
import { readU64be } from "../../crypto/bytes.ts";
import { decodeAmount } from "../../proto/codec.ts";
import { SOURCE_KIND, type SourceKind } from "../../state/keys.ts";
import { getEarnings, getInference, getRewards } from "../../state/modules/attribution/attribution.ts";
import { getInferencePayouts } from "../../state/modules/attribution/payouts.ts";
import { getContribution, getDatanet } from "../../state/modules/datanets/datanets.ts";
import { getModel } from "../../state/modules/models/models.ts";
import { attributionScans } from "../../state/modules/attribution/scans.ts";
import { getProposal } from "../../state/modules/gov/queries.ts";
import type { StateReader } from "../../state/view.ts";
import { appError } from "../errors.ts";
import { method } from "../method.ts";
import { exactlyOne, idSchema, pageParams } from "../module-schemas.ts";
import { payoutsView, recordView } from "../module-views.ts";
import { addressOut, addressSchema, amountOut, bytesHex, heightOut, heightSchema, idOut, pageOf } from "../schemas.ts";
import { attributionWeightOut, inferenceOut, payoutsOut } from "../module-result-schemas.ts";
import { proofField } from "../result-schemas.ts";
import { listAt, readAt } from "../state-query.ts";
import { proveParam, withProof } from "../state-proof-answer.ts";

const ID_BYTES = 8;
const KIND_OF_BYTE = new Map(Object.entries(SOURCE_KIND).map(([kind, byte]) => [byte as number, kind as SourceKind]));

/** Whether the object an earnings query names exists (earnings of nothing would read as a plain 0). */
const EXISTS: Record<SourceKind, (view: StateReader, id: number) => boolean> = {
  model: (view, id) => getModel(view, id) !== undefined,
  datanet: (view, id) => getDatanet(view, id) !== undefined,
  contribution: (view, id) => getContribution(view, id) !== undefined,
  // A treasury grant's id is the proposal that made it.
  treasury: (view, id) => getProposal(view, id) !== undefined,
};

const listFilters = z
  .strictObject({
    modelId: idSchema("modelId").optional(),
    payer: addressSchema.optional(),
    contributionId: idSchema("contributionId").optional(),
    ...pageParams,
  })
  .refine((p) => exactlyOne(p.modelId, p.payer, p.contributionId), "give exactly one of modelId, payer, contributionId");

const earningsParams = z
  .strictObject({
    contributionId: idSchema("contributionId").optional(),
    datanetId: idSchema("datanetId").optional(),
    modelId: idSchema("modelId").optional(),
    height: heightSchema.optional(),
    ...proveParam,
  })
  .refine(
    (p) => exactlyOne(p.contributionId, p.datanetId, p.modelId),
    "give exactly one of contributionId, datanetId, modelId",
  );

export const attributionMethods = [
  method({
    name: "attribution_getInference",
    description: "One paid inference by id: model, payer, price, status (paid, recorded, expired) and its record.",
    params: z.strictObject({ id: idSchema("id"), height: heightSchema.optional(), ...proveParam }),
    result: inferenceOut.extend({ height: heightOut, ...proofField }),
    handler: async (p, ctx) => {
      const { value, height } = await readAt(ctx, p.height, (view) => getInference(view, p.id));
      if (value === undefined) throw appError("NOT_FOUND", `inference ${p.id} does not exist`);
      return withProof(ctx, { ...recordView(value), height }, p.prove, { inference: p.id });
    },
  }),
  method({
    name: "attribution_listInferences",
    description:
      "Inferences by id, a page at a time, of one model, one payer, or (recorded ones) weighting one contribution.",
    params: listFilters,
    result: pageOf(inferenceOut),
    handler: (p, ctx) => {
      let prefix: Uint8Array;
      if (p.modelId !== undefined) prefix = attributionScans.inferencesOfModel(p.modelId);
      else if (p.payer !== undefined) prefix = attributionScans.inferencesByPayer(decodeAddress(p.payer));
      else prefix = attributionScans.inferencesCrediting(p.contributionId as number);
      return listAt(ctx, {
        prefix,
        idLength: ID_BYTES,
        height: p.height,
        cursor: p.cursor,
        limit: p.limit,
        select: async (id, _value, height) => {
          const { value } = await readAt(ctx, height, (view) => getInference(view, readU64be(id)));
          return value === undefined ? undefined : recordView(value);
        },
      });
    },
  }),
  method({
    name: "attribution_getPayouts",
    description:
      "Who earned how much from one recorded inference: the treasury, the model owner, and each contribution " +
      "with its contributor (weight: the index of the record's weight that paid it, whole versions included), " +
      "as stored at record time; the amounts add up to the price.",
    params: z.strictObject({ inferenceId: idSchema("inferenceId"), height: heightSchema.optional(), ...proveParam }),
    result: payoutsOut.extend({
      weights: z.array(attributionWeightOut),
      recordedHeight: heightOut,
      height: heightOut,
      ...proofField,
    }),
    handler: async (p, ctx) => {
      const { value, height } = await readAt(ctx, p.height, (view) => ({
        inference: getInference(view, p.inferenceId),
        payouts: getInferencePayouts(view, p.inferenceId),
      }));
      const { inference, payouts } = value;
      if (inference === undefined) throw appError("NOT_FOUND", `inference ${p.inferenceId} does not exist`);
      if (payouts === undefined) {
        throw appError(
          "NOT_FOUND",
          inference.status === "recorded"
            ? `inference ${p.inferenceId} was recorded before payouts were stored: it has none to show`
            : `inference ${p.inferenceId} is not recorded (it is ${inference.status} at height ${height}): nothing was paid out`,
          { status: inference.status },
        );
      }
      const answer = {
        ...payoutsView(payouts),
        weights: recordView(inference).weights,
        recordedHeight: inference.recordedHeight,
        height,
      };
      return withProof(ctx, answer, p.prove, { payouts: p.inferenceId });
    },
  }),
  method({
    name: "attribution_getRewards",
    description:
      "An address's rewards: accrued (claimable now), claimed (ever), and what it earned from each source " +
      "(its models, its contributions), ever: the breakdown a page at a time (cursor, limit; nextCursor).",
    params: z.strictObject({ address: addressSchema, ...pageParams, ...proveParam }),
    result: z.strictObject({
      address: addressOut,
      accrued: amountOut.describe("claimable now"),
      claimed: amountOut.describe("claimed, ever"),
      breakdown: z.array(z.strictObject({
        source: z.enum(["model", "datanet", "contribution", "treasury", "unknown"]),
        id: idOut,
        amount: amountOut,
      })),
      nextCursor: bytesHex.nullable(),
      height: heightOut,
      ...proofField,
    }),
    handler: async (p, ctx) => {
      const address = decodeAddress(p.address);
      const { value: rewards, height } = await readAt(ctx, p.height, (view) => getRewards(view, address));
      // Proved before the breakdown's pages are read: the proof covers accrued and claimed (att/rew/<address>);
      // the breakdown comes from other keys (att/rsrc/), each provable with state_getProof's raw key.
      const { proof } = await withProof(ctx, { height }, p.prove, { rewards: p.address });
      // One entry per contribution it was ever paid for: a page at a time, like every other list, so one
      // request stays cheap whatever an address earned from (att/rsrc/<address><kind><id>).
      const page = await listAt(ctx, {
        prefix: attributionScans.rewardSourcesOf(address),
        idLength: 1 + ID_BYTES,
        height,
        cursor: p.cursor,
        limit: p.limit,
        select: async (id, value) => ({
          source: KIND_OF_BYTE.get(id[0]) ?? ("unknown" as SourceKind),
          id: readU64be(id, 1),
          amount: decodeAmount(value, "reward source amount").toString(),
        }),
      });
      return {
        address: p.address,
        accrued: rewards.accrued.toString(),
        claimed: rewards.claimed.toString(),
        breakdown: page.items,
        nextCursor: page.nextCursor,
        height,
        ...(proof === undefined ? {} : { proof }),
      };
    },
  }),
  method({
    name: "attribution_getEarnings",
    description:
      "What a contribution, a datanet (its contributions together) or a model (its owner's share) has earned " +
      "from recorded inferences, ever.",
    params: earningsParams,
    result: z.strictObject({
      kind: z.enum(["contribution", "datanet", "model"]),
      id: idOut,
      total: amountOut,
      height: heightOut,
      ...proofField,
    }),
    handler: async (p, ctx) => {
      const [kind, id]: [SourceKind, number] =
        p.contributionId !== undefined
          ? ["contribution", p.contributionId]
          : p.datanetId !== undefined
            ? ["datanet", p.datanetId]
            : ["model", p.modelId as number];
      const { value, height } = await readAt(ctx, p.height, (view) => ({
        exists: EXISTS[kind](view, id),
        total: getEarnings(view, kind, id),
      }));
      if (!value.exists) throw appError("NOT_FOUND", `${kind} ${id} does not exist`);
      return withProof(ctx, { kind, id, total: value.total.toString(), height }, p.prove, { earnings: { kind, id } });
    },
  }),
];

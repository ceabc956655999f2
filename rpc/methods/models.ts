import { z } from "zod";
import { decodeAddress } from "../../crypto/address.ts";
import { equalBytes, readU64be } from "../../crypto/bytes.ts";
import { type Model, modelCodec } from "../../proto/module-records.ts";
import { getModel, trainedOnOf } from "../../state/modules/models/models.ts";
import { modelScans } from "../../state/modules/models/scans.ts";
import type { StateReader } from "../../state/view.ts";
import { appError } from "../errors.ts";
import { method } from "../method.ts";
import { idSchema, pageParams } from "../module-schemas.ts";
import { recordView } from "../module-views.ts";
import { addressSchema, heightOut, heightSchema, idOut, pageOf } from "../schemas.ts";
import { datanetVersionRefOut, modelOut } from "../module-result-schemas.ts";
import { proofField } from "../result-schemas.ts";
import { listAt, readAt } from "../state-query.ts";
import { proveParam, withProof } from "../state-proof-answer.ts";

const ID_BYTES = 8;

/**
 * The parents of an adapter, nearest first (empty for a full model): at most MAX_ADAPTER_DEPTH of them, since
 * registration refuses deeper adapters, so this walk (and readAt's passes at a past height) stays short.
 */
function ancestorsOf(view: StateReader, model: Model): number[] {
  const ids: number[] = [];
  for (let m: Model | undefined = model; m?.kind === "adapter" && !ids.includes(m.parentId);) {
    ids.push(m.parentId);
    m = getModel(view, m.parentId);
  }
  return ids;
}

export const modelMethods = [
  method({
    name: "model_get",
    description:
      "One model by id (parentId: an adapter's parent), with its lineage: every datanet version its outputs " +
      "owe to (its own and, for an adapter, its ancestors'), and its ancestors (parent first).",
    params: z.strictObject({ id: idSchema("id"), height: heightSchema.optional(), ...proveParam }),
    result: modelOut.extend({
      lineage: z.array(datanetVersionRefOut).describe("every datanet version its outputs owe to"),
      ancestors: z.array(idOut).describe("an adapter's parents, nearest first"),
      height: heightOut,
      ...proofField,
    }),
    handler: async (p, ctx) => {
      const { value, height } = await readAt(ctx, p.height, (view) => {
        const model = getModel(view, p.id);
        if (model === undefined) return undefined;
        return { model, ancestors: ancestorsOf(view, model), trainedOn: trainedOnOf(view, model) };
      });
      if (value === undefined) throw appError("NOT_FOUND", `model ${p.id} does not exist`);
      const { model, ancestors, trainedOn } = value;
      // lineage is what attribution pays for: every datanet version the model's outputs owe to.
      // The proof (prove: true) is of the model record; lineage and ancestors are read from other records.
      return withProof(ctx, { ...recordView(model), lineage: trainedOn, ancestors, height }, p.prove, { model: p.id });
    },
  }),
  method({
    name: "model_list",
    description:
      "Models by id, a page at a time. Filters (any combination): owner, baseModel (the base weights' name), " +
      "datanetId (trained on a version of that datanet).",
    params: z.strictObject({
      owner: addressSchema.optional(),
      baseModel: z.string({ error: "baseModel must be a string" }).min(1, "baseModel is empty").optional(),
      datanetId: idSchema("datanetId").optional(),
      ...pageParams,
    }),
    result: pageOf(modelOut),
    handler: (p, ctx) => {
      const owner = p.owner === undefined ? undefined : decodeAddress(p.owner);
      const keep = (m: Model | undefined): m is Model =>
        m !== undefined &&
        (owner === undefined || equalBytes(m.owner, owner)) &&
        (p.baseModel === undefined || m.baseModel === p.baseModel) &&
        (p.datanetId === undefined || m.trainedOn.some((r) => r.datanetId === p.datanetId));
      const page = { height: p.height, cursor: p.cursor, limit: p.limit, idLength: ID_BYTES };
      if (owner === undefined && p.baseModel === undefined && p.datanetId === undefined) {
        return listAt(ctx, {
          ...page,
          prefix: modelScans.all(),
          select: async (_id, value) => recordView(modelCodec.decode(value)),
        });
      }
      // The most selective index given: an owner's models, then a base model's, then a datanet's.
      let prefix: Uint8Array;
      if (owner !== undefined) prefix = modelScans.byOwner(owner);
      else if (p.baseModel !== undefined) prefix = modelScans.byBase(p.baseModel);
      else prefix = modelScans.byDatanet(p.datanetId as number);
      return listAt(ctx, {
        ...page,
        prefix,
        select: async (id, _value, height) => {
          const { value: m } = await readAt(ctx, height, (view) => getModel(view, readU64be(id)));
          return keep(m) ? recordView(m) : undefined;
        },
      });
    },
  }),
];

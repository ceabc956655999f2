import { z } from "zod";
import { getUpgradeDoneHeight, getUpgradePlan } from "../../state/modules/gov/queries.ts";
import { method } from "../method.ts";
import { heightOut, heightSchema, idOut } from "../schemas.ts";
import { readAt } from "../state-query.ts";

export const upgradeMethods = [
  method({
    name: "gov_getUpgradePlan",
    description:
      "The software upgrade the chain waits for: { plan: { name, height, proposalId } or null, height }. A passed " +
      "upgrade proposal sets it (a later one replaces it); it is cleared at its height, when the handler runs or " +
      "the node's operator skips it. With `name`, also `appliedAt`: the height that upgrade's handler ran at, or null.",
    params: z.strictObject({
      name: z.string().min(1).max(64).optional(),
      height: heightSchema.optional(),
    }),
    result: z.strictObject({
      plan: z.union([z.null(), z.strictObject({ name: z.string(), height: heightOut, proposalId: idOut })]),
      appliedAt: z.union([heightOut, z.null()]).optional().describe("only with name: the height its handler ran at"),
      height: heightOut,
    }),
    handler: async (p, ctx) => {
      const { value, height } = await readAt(ctx, p.height, (view) => ({
        plan: getUpgradePlan(view) ?? null,
        appliedAt: p.name === undefined ? undefined : (getUpgradeDoneHeight(view, p.name) ?? null),
      }));
      return { plan: value.plan, ...(value.appliedAt === undefined ? {} : { appliedAt: value.appliedAt }), height };
    },
  }),
];

import { z } from "zod";
import { method } from "../method.ts";
import { heightSchema } from "../schemas.ts";
import { chainParamsOut } from "../module-result-schemas.ts";
import { currentParams } from "../../state/modules/gov/params-store.ts";
import { readAt } from "../state-query.ts";
import { jsonValue } from "../views.ts";

export const paramsMethods = [
  method({
    name: "chain_getParams",
    description:
      "The chain parameters: fees and block limits, and the staking, datanets, models, attribution and " +
      "governance parameters. Amounts in base units; *Ppm are parts per million.",
    params: z.strictObject({ height: heightSchema.optional() }),
    result: chainParamsOut,
    handler: async (p, ctx) => {
      // Genesis's until a governance change executes; from then on the record in state (at that height).
      const { value, height } = await readAt(ctx, p.height, (view) => currentParams(view, ctx.params));
      return { ...(jsonValue(value) as Record<string, unknown>), height };
    },
  }),
];

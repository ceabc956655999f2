import { z } from "zod";
import { method } from "../method.ts";
import { heightSchema } from "../schemas.ts";
import { resolveHeight } from "../state-query.ts";
import { jsonValue } from "../views.ts";

export const paramsMethods = [
  method({
    name: "chain_getParams",
    description:
      "The chain parameters: fees and block limits, and the staking, datanets, models and attribution " +
      "parameters. Amounts in base units; *Ppm are parts per million.",
    params: z.strictObject({ height: heightSchema.optional() }),
    handler: (p, ctx) => {
      // Fixed in genesis for now, so every height has the same; the height is still checked and echoed, as
      // every query's is, so clients need not change when governance can change them.
      const { height } = resolveHeight(ctx, p.height);
      return { ...(jsonValue(ctx.params) as Record<string, unknown>), height };
    },
  }),
];

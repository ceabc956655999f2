import { z } from "zod";
import { decodeAddress } from "../../crypto/address.ts";
import { getAccount } from "../../state/modules/bank.ts";
import { supplyBreakdown } from "../../state/supply.ts";
import { method } from "../method.ts";
import { readAt } from "../state-query.ts";
import { jsonValue } from "../views.ts";
import { addressSchema, heightSchema, noParams } from "../schemas.ts";

export const accountMethods = [
  method({
    name: "account_get",
    description: "An account's balance (base units) and next nonce, at the latest height or a past one.",
    params: z.strictObject({ address: addressSchema, height: heightSchema.optional() }),
    handler: async (p, ctx) => {
      const address = decodeAddress(p.address);
      const { value: account, height } = await readAt(ctx, p.height, (view) => getAccount(view, address));
      return { address: p.address, balance: account.balance.toString(), nonce: account.nonce, height };
    },
  }),
  method({
    name: "bank_getSupply",
    description:
      "Total OPEN supply in base units, and where it is: account balances (total minus the rest), bonded and " +
      "unbonding stake, pending contribution stakes, inference escrow, unclaimed rewards, the treasury.",
    params: noParams.extend({ height: heightSchema.optional() }),
    handler: async (p, ctx) => {
      const { value, height } = await readAt(ctx, p.height, supplyBreakdown);
      return { ...(jsonValue(value) as Record<string, string>), height };
    },
  }),
];

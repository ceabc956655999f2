import { z } from "zod";
import { decodeAddress } from "../../crypto/address.ts";
import { decodeAmount } from "../../proto/codec.ts";
import { decodeAccount } from "../../proto/records.ts";
import { MODULE_PREFIX } from "../../state/keys.ts";
import { accountKey, getAccount, getSupply } from "../../state/modules/bank.ts";
import type { RpcContext } from "../context.ts";
import { appError } from "../errors.ts";
import { method } from "../method.ts";
import { addressSchema, heightSchema, noParams } from "../schemas.ts";

/** Resolves an optional `height` to a readable one, or says why it cannot be read. */
function resolveHeight(ctx: RpcContext, height: number | undefined): { height: number; latest: boolean } {
  const latest = ctx.app.info().height;
  if (height === undefined || height === latest) return { height: latest, latest: true };
  if (height > latest) {
    throw appError(
      "HEIGHT_NOT_AVAILABLE",
      `height ${height} is in the future; the latest height is ${latest}`,
      { latest },
    );
  }
  return { height, latest: false };
}

export const accountMethods = [
  method({
    name: "account_get",
    description: "An account's balance (base units) and next nonce, at the latest height or a past one.",
    params: z.strictObject({ address: addressSchema, height: heightSchema.optional() }),
    handler: async (p, ctx) => {
      const address = decodeAddress(p.address);
      const at = resolveHeight(ctx, p.height);
      let account = getAccount(ctx.state, address);
      if (!at.latest) {
        const raw = await ctx.db.getStateAt(accountKey(address), at.height);
        account = raw === undefined ? { nonce: 0, balance: 0n } : decodeAccount(raw);
      }
      return {
        address: p.address,
        balance: account.balance.toString(),
        nonce: account.nonce,
        height: at.height,
      };
    },
  }),
  method({
    name: "bank_getSupply",
    description: "Total OPEN supply in base units.",
    params: noParams.extend({ height: heightSchema.optional() }),
    handler: async (p, ctx) => {
      const at = resolveHeight(ctx, p.height);
      let total = getSupply(ctx.state);
      if (!at.latest) {
        const raw = await ctx.db.getStateAt(MODULE_PREFIX.bankSupply, at.height);
        total = raw === undefined ? 0n : decodeAmount(raw, "supply");
      }
      return { total: total.toString(), height: at.height };
    },
  }),
];

import { z } from "zod";
import { decodeAddress } from "../../crypto/address.ts";
import { getAccount } from "../../state/modules/bank/bank.ts";
import { supplyBreakdown } from "../../state/supply.ts";
import { method } from "../method.ts";
import { readAt } from "../state-query.ts";
import { proveParam, withProof } from "../state-proof-answer.ts";
import { jsonValue } from "../views.ts";
import {
  addressOut,
  addressSchema,
  amountOut,
  countOut,
  heightOut,
  heightSchema,
  noParams,
} from "../schemas.ts";
import { proofField } from "../result-schemas.ts";

export const accountMethods = [
  method({
    name: "account_get",
    description:
      "An account's balance (base units) and next nonce, at the latest height or a past one; prove: true adds " +
      "the state proof of the account (state_getProof's answer).",
    params: z.strictObject({ address: addressSchema, height: heightSchema.optional(), ...proveParam }),
    result: z.strictObject({
      address: addressOut,
      balance: amountOut,
      nonce: countOut.describe("the next nonce"),
      height: heightOut,
      ...proofField,
    }),
    handler: async (p, ctx) => {
      const address = decodeAddress(p.address);
      const { value: account, height } = await readAt(ctx, p.height, (view) => getAccount(view, address));
      const answer = { address: p.address, balance: account.balance.toString(), nonce: account.nonce, height };
      return withProof(ctx, answer, p.prove, { account: p.address });
    },
  }),
  method({
    name: "bank_getSupply",
    description:
      "Total OPEN supply in base units, and where it is: account balances (total minus the rest), bonded and " +
      "unbonding stake, pending contribution stakes, inference escrow, unclaimed rewards, the treasury.",
    params: noParams.extend({ height: heightSchema.optional() }),
    result: z.strictObject({
      total: amountOut,
      balances: amountOut.describe("in account balances: total minus the rest"),
      bonded: amountOut,
      unbonding: amountOut,
      contributionStakes: amountOut,
      inferenceEscrow: amountOut,
      rewardsAccrued: amountOut,
      treasury: amountOut,
      govDeposits: amountOut,
      height: heightOut,
    }),
    handler: async (p, ctx) => {
      const { value, height } = await readAt(ctx, p.height, supplyBreakdown);
      return { ...(jsonValue(value) as Record<string, string>), height };
    },
  }),
];

import { z } from "zod";
import { decodeAddress, encodeAddress } from "../../crypto/address.ts";
import { equalBytes } from "../../crypto/bytes.ts";
import { stakingValidatorCodec } from "../../proto/module-records.ts";
import { getShares, getUnbonding, getValidator, isJailed, sharesValue } from "../../state/modules/staking/staking.ts";
import { stakingScans } from "../../state/modules/staking/scans.ts";
import { currentParams } from "../../state/modules/gov/params-store.ts";
import type { StakingParams } from "../../state/params.ts";
import type { RpcContext } from "../context.ts";
import { appError } from "../errors.ts";
import { method } from "../method.ts";
import { pageParams } from "../module-schemas.ts";
import { validatorView } from "../module-views.ts";
import { addressOut, addressSchema, amountOut, heightOut, heightSchema, pageOf } from "../schemas.ts";
import { validatorOut } from "../module-result-schemas.ts";
import { proofField } from "../result-schemas.ts";
import { listAt, readAt } from "../state-query.ts";
import { proveParam, withProof } from "../state-proof-answer.ts";

const ADDRESS_BYTES = 20;

/** The staking params in force after block `height` (governance may have changed genesis's). */
async function stakingParamsAt(ctx: RpcContext, height: number): Promise<StakingParams> {
  return (await readAt(ctx, height, (view) => currentParams(view, ctx.params))).value.staking;
}

/** The set that signs the block after `height`: the one producing blocks when that state is the latest. */
function activeSetAfter(ctx: RpcContext, height: number) {
  return ctx.app.validators(height + 1);
}

/** Every (validator, shares) a delegator holds at a height, all pages (at most one per validator). */
async function delegationsOf(ctx: RpcContext, delegator: Uint8Array, height: number | undefined) {
  const all: { validator: Uint8Array; shares: bigint }[] = [];
  let cursor: string | undefined;
  let at = height;
  for (;;) {
    const page = await listAt(ctx, {
      prefix: stakingScans.delegationsOf(delegator),
      idLength: ADDRESS_BYTES,
      height: at,
      cursor,
      limit: 100,
      select: async (id, value) => ({ validator: new Uint8Array(id), shares: sharesOf(value) }),
    });
    all.push(...page.items);
    at = page.height; // every later page at the same height, even if a block commits meanwhile
    if (page.nextCursor === null) return { delegations: all, height: page.height };
    cursor = page.nextCursor;
  }
}

/** Shares are stored as a minimal big-endian integer (state/modules/staking/staking.ts). */
function sharesOf(raw: Uint8Array): bigint {
  return raw.byteLength === 0 ? 0n : BigInt(`0x${Buffer.from(raw).toString("hex")}`);
}

export const stakingMethods = [
  method({
    name: "staking_getValidators",
    description:
      "Validators, a page at a time: operator, consensus key, stake, power, jail state, and whether it is in " +
      "the validator set producing the next block (active). status: active, jailed or all (default).",
    params: z.strictObject({ status: z.enum(["active", "jailed", "all"]).default("all"), ...pageParams }),
    result: pageOf(validatorOut),
    handler: (p, ctx) => {
      let staking: StakingParams | undefined;
      return listAt(ctx, {
        prefix: stakingScans.validators(),
        idLength: ADDRESS_BYTES,
        height: p.height,
        cursor: p.cursor,
        limit: p.limit,
        select: async (_id, value, height) => {
          const v = stakingValidatorCodec.decode(value);
          staking ??= await stakingParamsAt(ctx, height); // one height per page
          const view = validatorView(v, staking, activeSetAfter(ctx, height));
          if (p.status === "active" && !view.active) return undefined;
          if (p.status === "jailed" && !isJailed(v)) return undefined;
          return view;
        },
      });
    },
  }),
  method({
    name: "staking_getValidator",
    description: "One validator by its operator address.",
    params: z.strictObject({ address: addressSchema, height: heightSchema.optional(), ...proveParam }),
    result: validatorOut.extend({ height: heightOut, ...proofField }),
    handler: async (p, ctx) => {
      const operator = decodeAddress(p.address);
      const { value, height } = await readAt(ctx, p.height, (view) => ({
        v: getValidator(view, operator),
        staking: currentParams(view, ctx.params).staking,
      }));
      const { v, staking } = value;
      if (v === undefined) throw appError("NOT_FOUND", `validator ${p.address} does not exist`);
      const answer = { ...validatorView(v, staking, activeSetAfter(ctx, height)), height };
      return withProof(ctx, answer, p.prove, { validator: p.address });
    },
  }),
  method({
    name: "staking_getStake",
    description:
      "What a delegator has staked: shares and their current value per validator (one validator if given), " +
      "and the unbonding entries still in flight.",
    params: z
      .strictObject({
        delegator: addressSchema,
        validator: addressSchema.optional(),
        height: heightSchema.optional(),
        ...proveParam,
      })
      .refine(
        (p) => p.prove !== true || p.validator !== undefined,
        "prove: true needs validator (a proof is of one delegation: state_getProof { stake: { delegator, validator } })",
      ),
    result: z.strictObject({
      delegator: addressOut,
      stakes: z.array(
        z.strictObject({ validator: addressOut, moniker: z.string(), shares: amountOut, value: amountOut }),
      ),
      totalStaked: amountOut,
      unbonding: z.array(z.strictObject({
        validator: addressOut,
        amount: amountOut,
        creationHeight: heightOut,
        completionHeight: heightOut,
      })),
      totalUnbonding: amountOut,
      height: heightOut,
      ...proofField,
    }),
    handler: async (p, ctx) => {
      const delegator = decodeAddress(p.delegator);
      const only = p.validator === undefined ? undefined : decodeAddress(p.validator);
      let delegations: { validator: Uint8Array; shares: bigint }[] = [];
      let height = p.height;
      if (only === undefined) ({ delegations, height } = await delegationsOf(ctx, delegator, p.height));
      const read = await readAt(ctx, height, (view) => {
        const rows = only === undefined ? delegations : [{ validator: only, shares: getShares(view, delegator, only) }];
        return {
          missing: only !== undefined && getValidator(view, only) === undefined,
          stakes: rows.map((d) => ({ ...d, v: getValidator(view, d.validator) })),
          unbonding: getUnbonding(view, delegator),
        };
      });
      if (read.value.missing) throw appError("NOT_FOUND", `validator ${p.validator} does not exist`);
      // Proved right after the read, at its height (the schema asks for validator when prove is true).
      const stake = { delegator: p.delegator, validator: p.validator ?? "" };
      const { proof } = await withProof(ctx, { height: read.height }, p.prove, { stake });
      const stakes = read.value.stakes
        .filter((s) => s.shares > 0n)
        .map((s) => ({
          validator: encodeAddress(s.validator),
          moniker: s.v?.moniker ?? "",
          shares: s.shares.toString(),
          value: (s.v === undefined ? 0n : sharesValue(s.v, s.shares)).toString(),
        }));
      const unbonding = read.value.unbonding
        .filter((e) => only === undefined || equalBytes(e.validator, only))
        .map((e) => ({
          validator: encodeAddress(e.validator),
          amount: e.amount.toString(),
          creationHeight: e.creationHeight,
          completionHeight: e.completionHeight,
        }));
      const sum = (xs: { value?: string; amount?: string }[]) =>
        xs.reduce((t, x) => t + BigInt(x.value ?? x.amount ?? "0"), 0n).toString();
      return {
        delegator: p.delegator,
        stakes,
        totalStaked: sum(stakes),
        unbonding,
        totalUnbonding: sum(unbonding),
        height: read.height,
        ...(proof === undefined ? {} : { proof }),
      };
    },
  }),
];

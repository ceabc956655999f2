import { z } from "zod";
import { ADDRESS_LENGTH, decodeAddress, encodeAddress } from "../crypto/address.ts";
import { equalBytes, fromHex, readU64be, toHex } from "../crypto/bytes.ts";
import { SOURCE_KIND } from "../state/keys.ts";
import { PARAMS_KEY } from "../state/modules/gov/keys.ts";
import { getEarnings, getInference, getRewards } from "../state/modules/attribution/attribution.ts";
import { currentParams } from "../state/modules/gov/params-store.ts";
import {
  EARNINGS_PREFIX,
  earningsKey,
  INFERENCE_PREFIX,
  inferenceKey,
  inferencePayoutsKey,
  REWARDS_PREFIX,
  rewardsKey,
} from "../state/modules/attribution/keys.ts";
import type { InferencePayouts } from "../proto/module-records.ts";
import { getInferencePayouts } from "../state/modules/attribution/payouts.ts";
import { getAccount } from "../state/modules/bank/bank.ts";
import { ACCOUNT_PREFIX, accountKey } from "../state/modules/bank/keys.ts";
import { getContribution, getDatanet, getDatanetVersion } from "../state/modules/datanets/datanets.ts";
import {
  CONTRIBUTION_PREFIX,
  contributionKey,
  DATANET_PREFIX,
  DATANET_VERSION_PREFIX,
  datanetKey,
  datanetVersionKey,
} from "../state/modules/datanets/keys.ts";
import { MODEL_PREFIX, modelKey } from "../state/modules/models/keys.ts";
import { getModel } from "../state/modules/models/models.ts";
import { DELEGATION_PREFIX, delegationKey, VALIDATOR_PREFIX, validatorKey } from "../state/modules/staking/keys.ts";
import { getShares, getValidator } from "../state/modules/staking/staking.ts";
import type { StateReader } from "../state/view.ts";
import type { RpcContext } from "./context.ts";
import { exactlyOne, idSchema } from "./module-schemas.ts";
import { payoutsView, recordView, validatorView } from "./module-views.ts";
import { addressSchema } from "./schemas.ts";
import { readAt } from "./state-query.ts";

/**
 * The keys of state_getProof as users think of them ({ account: ADDRESS }, { datanet: ID }, ...), mapped to
 * the state key the module's own getter reads (the modules' exported key functions), and the proven bytes
 * decoded by that very getter, shown as the matching get method shows the record.
 */

/**
 * Longest raw key state_getProof takes, in bytes. The longest state key today is 51 bytes (mdl/bybase/: an
 * 11-byte prefix, a 32-byte hash, an 8-byte id); a longer one cannot be in the state, and the bound keeps a
 * request from hashing megabytes.
 */
export const MAX_RAW_KEY_BYTES = 64;

const EARNINGS_KINDS = ["contribution", "datanet", "model"] as const;

/** The key kinds, in the order a message lists them. */
const KINDS = [
  "account",
  "datanet",
  "contribution",
  "model",
  "inference",
  "rewards",
  "stake",
  "validator",
  "datanetVersion",
  "earnings",
  "payouts",
  "params",
  "raw",
] as const;

export const provableKeySchema = z
  .strictObject(
    {
      account: addressSchema.optional(),
      datanet: idSchema("datanet").optional(),
      contribution: idSchema("contribution").optional(),
      model: idSchema("model").optional(),
      inference: idSchema("inference").optional(),
      rewards: addressSchema.optional(),
      stake: z
        .strictObject(
          { delegator: addressSchema, validator: addressSchema },
          { error: "stake must be { delegator, validator } (addresses; validator: the operator)" },
        )
        .optional(),
      validator: addressSchema.optional(),
      datanetVersion: z
        .strictObject(
          { datanetId: idSchema("datanetId"), version: idSchema("version") },
          { error: "datanetVersion must be { datanetId, version }" },
        )
        .optional(),
      earnings: z
        .strictObject(
          { kind: z.enum(EARNINGS_KINDS, { error: "earnings kind must be contribution, datanet or model" }), id: idSchema("id") },
          { error: "earnings must be { kind, id }" },
        )
        .optional(),
      payouts: idSchema("payouts").optional(),
      params: z.literal(true, { error: "params must be true" }).optional(),
      // The length first, aborting: zod runs every check unless one aborts, and the pattern's backtracking on a
      // megabyte of odd-length hex took ~75-95 ms on its first run in a process, ~2 ms once compiled.
      raw: z
        .string({ error: "raw must be a string of hex" })
        .max(2 * MAX_RAW_KEY_BYTES, {
          abort: true,
          error: `raw must be at most ${MAX_RAW_KEY_BYTES} bytes (${2 * MAX_RAW_KEY_BYTES} hex characters)`,
        })
        .regex(/^([0-9a-f]{2})+$/, "raw must be lowercase hex of whole bytes (no 0x), at least 1 byte")
        .optional(),
    },
    {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `key kind ${issue.keys.join(", ")} is not one of ${KINDS.join(", ")}`
          : `key must be an object naming exactly one of ${KINDS.join(", ")}`,
    },
  )
  .refine(
    (k) => exactlyOne(...KINDS.map((kind) => k[kind])),
    `key must name exactly one of ${KINDS.join(", ")}`,
  );

export type ProvableKey = z.infer<typeof provableKeySchema>;

/** A user's key resolved: the state key, and how to show the value proven at `height`. */
export interface ResolvedKey {
  stateKey: Uint8Array;
  /**
   * The proven bytes as the matching get method shows them (absent values are shown as null by the caller);
   * a promise where the view reads other state at that height (a validator's staking params).
   */
  decode(bytes: Uint8Array, ctx: RpcContext, height: number): unknown;
  /**
   * The proven bytes shown from themselves alone, for a client that verified them (opl query --prove): the
   * same as `decode` except fields a get method derives from other state (a validator's power and whether it
   * is active), which no proof of this key covers.
   */
  proven(bytes: Uint8Array): unknown;
}

/** A view holding one key: the module getter reads the proven value and nothing else. */
function only(key: Uint8Array, bytes: Uint8Array): StateReader {
  return { get: (k) => (equalBytes(k, key) ? bytes : undefined) };
}

/**
 * Runs a getter over the proven value alone, as the get method would over the whole state. `live` shows it
 * with what the node derives from the rest of its state, when the get method does.
 */
function via<T>(
  stateKey: Uint8Array,
  read: (view: StateReader) => T,
  show: (value: T) => unknown,
  live?: (value: T, ctx: RpcContext, height: number) => unknown,
): ResolvedKey {
  const value = (bytes: Uint8Array) => read(only(stateKey, bytes));
  return {
    stateKey,
    decode: (bytes, ctx, height) => (live === undefined ? show(value(bytes)) : live(value(bytes), ctx, height)),
    proven: (bytes) => show(value(bytes)),
  };
}

const shown = (record: object | undefined) => (record === undefined ? null : recordView(record));

export function resolveProvableKey(k: ProvableKey): ResolvedKey {
  if (k.account !== undefined) {
    const address = decodeAddress(k.account);
    const account = k.account;
    return via(accountKey(address), (v) => getAccount(v, address), (a) => ({
      address: account,
      balance: a.balance.toString(),
      nonce: a.nonce,
    }));
  }
  if (k.datanet !== undefined) {
    const id = k.datanet;
    return via(datanetKey(id), (v) => getDatanet(v, id), shown);
  }
  if (k.contribution !== undefined) {
    const id = k.contribution;
    return via(contributionKey(id), (v) => getContribution(v, id), shown);
  }
  if (k.model !== undefined) {
    const id = k.model;
    return via(modelKey(id), (v) => getModel(v, id), shown);
  }
  if (k.inference !== undefined) {
    const id = k.inference;
    return via(inferenceKey(id), (v) => getInference(v, id), shown);
  }
  if (k.rewards !== undefined) {
    const address = decodeAddress(k.rewards);
    const text = k.rewards;
    return via(rewardsKey(address), (v) => getRewards(v, address), (r) => ({
      address: text,
      accrued: r.accrued.toString(),
      claimed: r.claimed.toString(),
    }));
  }
  if (k.stake !== undefined) {
    const { delegator, validator } = k.stake;
    const [d, o] = [decodeAddress(delegator), decodeAddress(validator)];
    return via(delegationKey(d, o), (v) => getShares(v, d, o), (shares) => ({
      delegator,
      validator,
      shares: shares.toString(),
    }));
  }
  if (k.validator !== undefined) {
    const operator = decodeAddress(k.validator);
    return via(validatorKey(operator), (v) => getValidator(v, operator), shown, async (v, ctx, height) => {
      if (v === undefined) return null;
      // As staking_getValidator shows it: its power under the staking params in force at the proof's height
      // (governance may have changed genesis's), `active` whether it is in the set that signs block height+1.
      const staking = (await readAt(ctx, height, (view) => currentParams(view, ctx.params))).value.staking;
      return validatorView(v, staking, ctx.app.validators(height + 1));
    });
  }
  if (k.datanetVersion !== undefined) {
    const { datanetId, version } = k.datanetVersion;
    return via(datanetVersionKey(datanetId, version), (v) => getDatanetVersion(v, datanetId, version), shown);
  }
  if (k.earnings !== undefined) {
    const { kind, id } = k.earnings;
    const show = (total: bigint) => ({ kind, id, total: total.toString() });
    return via(earningsKey(kind, id), (v) => getEarnings(v, kind, id), show);
  }
  if (k.payouts !== undefined) {
    const id = k.payouts;
    const show = (p: InferencePayouts | undefined) => (p === undefined ? null : payoutsView(p));
    return via(inferencePayoutsKey(id), (v) => getInferencePayouts(v, id), show);
  }
  if (k.params === true) {
    // Written when a governance change executes; absent (proved absent), the params are genesis's.
    const show = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    return { stateKey: PARAMS_KEY, decode: show, proven: show };
  }
  // A raw key of a named kind's record is shown as that kind's; any other as its bytes (hex).
  const stateKey = fromHex(k.raw as string) as Uint8Array;
  const named = namedKeyOf(stateKey);
  return named === undefined ? { stateKey, decode: (bytes) => toHex(bytes), proven: toHex } : resolveProvableKey(named);
}

const ID = 8;
const KIND_OF_BYTE = new Map(Object.entries(SOURCE_KIND).map(([kind, byte]) => [byte as number, kind]));

/** The named kinds as key shapes: a prefix, the length of the rest, and the named key the rest makes. */
const SHAPES: { prefix: Uint8Array; rest: number; named(rest: Uint8Array): Record<string, unknown> }[] = [
  { prefix: ACCOUNT_PREFIX, rest: ADDRESS_LENGTH, named: (r) => ({ account: encodeAddress(r) }) },
  { prefix: DATANET_PREFIX, rest: ID, named: (r) => ({ datanet: readU64be(r) }) },
  { prefix: CONTRIBUTION_PREFIX, rest: ID, named: (r) => ({ contribution: readU64be(r) }) },
  { prefix: MODEL_PREFIX, rest: ID, named: (r) => ({ model: readU64be(r) }) },
  { prefix: INFERENCE_PREFIX, rest: ID, named: (r) => ({ inference: readU64be(r) }) },
  { prefix: REWARDS_PREFIX, rest: ADDRESS_LENGTH, named: (r) => ({ rewards: encodeAddress(r) }) },
  {
    prefix: DELEGATION_PREFIX,
    rest: 2 * ADDRESS_LENGTH,
    named: (r) => {
      const [delegator, validator] = [r.subarray(0, ADDRESS_LENGTH), r.subarray(ADDRESS_LENGTH)];
      return { stake: { delegator: encodeAddress(delegator), validator: encodeAddress(validator) } };
    },
  },
  { prefix: VALIDATOR_PREFIX, rest: ADDRESS_LENGTH, named: (r) => ({ validator: encodeAddress(r) }) },
  {
    prefix: DATANET_VERSION_PREFIX,
    rest: 2 * ID,
    named: (r) => ({ datanetVersion: { datanetId: readU64be(r), version: readU64be(r, ID) } }),
  },
  {
    prefix: EARNINGS_PREFIX,
    rest: 1 + ID,
    named: (r) => ({ earnings: { kind: KIND_OF_BYTE.get(r[0]), id: readU64be(r, 1) } }),
  },
];

/**
 * The named key of a raw state key, when it is one (so `{ raw }` answers as the named kind does), checked by
 * the same schema, and only if it maps back to the very same key; undefined otherwise (an id 0, say).
 */
function namedKeyOf(key: Uint8Array): ProvableKey | undefined {
  for (const shape of SHAPES) {
    const p = shape.prefix;
    if (key.byteLength !== p.byteLength + shape.rest || !equalBytes(key.subarray(0, p.byteLength), p)) continue;
    const parsed = provableKeySchema.safeParse(shape.named(key.subarray(p.byteLength)));
    if (parsed.success && equalBytes(resolveProvableKey(parsed.data).stateKey, key)) return parsed.data;
  }
  return undefined;
}

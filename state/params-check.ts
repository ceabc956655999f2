import { blockParamsProblem } from "../proto/block-limits.ts";
import { MAX_TX_LIST_ITEMS } from "../proto/tx-lists.ts";
import { type ChainParams, DEFAULT_PARAMS, PPM } from "./params.ts";

/**
 * The one validation of chain parameters: genesis (node/genesis-file.ts) reads them with it, and governance
 * checks a parameter change with it at submission and again at execution. Params as JSON: amounts (bigint)
 * as decimal strings, the rest numbers; modules as nested objects, in DEFAULT_PARAMS's key order.
 */

export class ParamsError extends Error {
  override name = "ParamsError";
}

export type ParamsJson = Record<string, unknown>;

const DECIMAL_RE = /^(0|[1-9][0-9]{0,77})$/;

function amount(text: unknown, what: string): bigint {
  if (typeof text !== "string" || !DECIMAL_RE.test(text)) {
    throw new ParamsError(`${what} must be a decimal string of base units, got ${JSON.stringify(text)}`);
  }
  return BigInt(text);
}

function positiveInt(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n <= 0) {
    throw new ParamsError(`${what} must be a positive integer, got ${JSON.stringify(n)}`);
  }
  return n;
}

export function paramsToJson(p: object): ParamsJson {
  return Object.fromEntries(
    Object.entries(p).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : typeof v === "object" ? paramsToJson(v) : v]),
  );
}

/** Reads params over the defaults: every key optional, every unknown key refused, every value checked. */
function paramsFrom<T extends object>(file: unknown, defaults: T, path: string): T {
  if (typeof file !== "object" || file === null || Array.isArray(file)) throw new ParamsError(`${path} must be an object`);
  const given = file as Record<string, unknown>;
  for (const k of Object.keys(given)) {
    if (!(k in defaults)) throw new ParamsError(`${path}.${k} is not a parameter`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(defaults)) {
    const v = given[k];
    const at = `${path}.${k}`;
    if (v === undefined) out[k] = d;
    else if (typeof d === "bigint") out[k] = amount(v, at);
    else if (typeof d === "number") out[k] = positiveInt(v, at);
    else out[k] = paramsFrom(v, d as object, at);
  }
  return out as T;
}

/**
 * The longest evidence window: a slash reads a key per height of it in one block's beginBlock, uncharged
 * (10,000 reads stay well under a second; the default window is 500).
 */
export const MAX_EVIDENCE_AGE_BLOCKS = 10_000;

/** The rules between parameters, and the bounds no single value's type says. Throws ParamsError. */
export function checkParams(params: ChainParams): void {
  const a = params.attribution;
  if (a.protocolSharePpm + a.ownerSharePpm > PPM)
    throw new ParamsError("params.attribution: protocolSharePpm + ownerSharePpm must be at most 1000000");
  if (a.maxVersionRecipients > a.maxBlockCredits) {
    // A record crediting a whole version of the most recipients must fit one block's credits, or it could never
    // succeed, yet would pay its fee every time.
    throw new ParamsError("params.attribution.maxVersionRecipients must be at most maxBlockCredits");
  }
  const s = params.staking;
  if (s.slashDoubleSignPpm > PPM) throw new ParamsError("params.staking.slashDoubleSignPpm must be at most 1000000");
  if (s.unbondingBlocks <= s.maxEvidenceAgeBlocks) {
    throw new ParamsError(
      "params.staking.unbondingBlocks must be above maxEvidenceAgeBlocks (unbonding stake must still be there to slash)",
    );
  }
  if (s.maxEvidenceAgeBlocks > MAX_EVIDENCE_AGE_BLOCKS) {
    // A slash reads one unbonding group per height of the window (staking/unbonding.ts) in one beginBlock.
    throw new ParamsError(`params.staking.maxEvidenceAgeBlocks must be at most ${MAX_EVIDENCE_AGE_BLOCKS}`);
  }
  if (s.maxMissedBlocks >= s.signedBlocksWindow)
    throw new ParamsError("params.staking.maxMissedBlocks must be below signedBlocksWindow");
  const g = params.gov;
  for (const k of ["quorumPpm", "thresholdPpm", "vetoPpm"] as const) {
    if (g[k] > PPM) throw new ParamsError(`params.gov.${k} must be at most 1000000`);
  }
  const lists = {
    "datanets.maxCurators": params.datanets.maxCurators,
    "datanets.maxContributors": params.datanets.maxContributors,
    "models.maxTrainedOn": params.models.maxTrainedOn,
    "models.maxOperators": params.models.maxOperators,
    "attribution.maxWeights": params.attribution.maxWeights,
  };
  for (const [k, v] of Object.entries(lists)) {
    // A longer list than this is refused when its tx is decoded (proto/tx-lists.ts): no tx could use more.
    if (v > MAX_TX_LIST_ITEMS) throw new ParamsError(`params.${k} must be at most ${MAX_TX_LIST_ITEMS}`);
  }
  if (g.maxActiveProposals > MAX_ACTIVE_PROPOSALS_CAP)
    throw new ParamsError(`params.gov.maxActiveProposals must be at most ${MAX_ACTIVE_PROPOSALS_CAP}`);
  // Every block the chain can make must cross the network: the frame limits are derived from these caps.
  const sizing = blockParamsProblem({ ...params, maxValidators: s.maxValidators });
  if (sizing !== undefined) throw new ParamsError(`params: ${sizing}`);
}

/**
 * The most proposals active at once any params may allow: the end of every block reads each active one
 * (state/modules/gov/end-block.ts), and every stake or unstake looks at each (the stake hook, which rewrites
 * the staker's votes naming that validator), so this bounds that work whatever governance votes; every
 * stake and unstake is charged the hook at this many proposals (state/work.ts STAKE_HOOK_WORK). It was 100:
 * a stake by a staker who voted on 100 proposals measured 5,288 work units against 129 charged.
 */
export const MAX_ACTIVE_PROPOSALS_CAP = 20;

/** Params from their JSON form over the defaults, checked. Throws ParamsError naming the field. */
export function paramsFromJson(file: unknown): ChainParams {
  const params = paramsFrom(file, DEFAULT_PARAMS, "params");
  checkParams(params);
  return params;
}

/** A change of one parameter: its dotted path ("minFee", "attribution.protocolSharePpm") and its value. */
export interface ParamChange {
  key: string;
  /** Decimal, as text (amounts in base units). */
  value: string;
}

/**
 * `params` with `changes` applied, validated exactly as genesis validates params. Throws ParamsError for an
 * unknown parameter, a value of the wrong form, or params the change would make invalid.
 */
export function withParamChanges(params: ChainParams, changes: readonly ParamChange[]): ChainParams {
  const json = paramsToJson(params);
  for (const { key, value } of changes) {
    const path = key.split(".");
    let at: Record<string, unknown> = json;
    for (const part of path.slice(0, -1)) {
      const next = Object.hasOwn(at, part) ? at[part] : undefined;
      if (typeof next !== "object" || next === null) throw new ParamsError(`${key} is not a parameter`);
      at = next as Record<string, unknown>;
    }
    const leaf = path[path.length - 1];
    const current = Object.hasOwn(at, leaf) ? at[leaf] : undefined;
    if (current === undefined || typeof current === "object") throw new ParamsError(`${key} is not a parameter`);
    if (!DECIMAL_RE.test(value)) throw new ParamsError(`${key}: ${JSON.stringify(value)} is not a decimal number`);
    at[leaf] = typeof current === "string" ? value : Number(value);
  }
  return paramsFromJson(json);
}

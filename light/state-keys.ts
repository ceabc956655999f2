import { concatBytes, fromHex, utf8 } from "./bytes.ts";
import { refuse } from "./errors.ts";
import { addressField } from "./json.ts";

/**
 * The raw state key of a record named the way `state_getProof` names it (proof-contract.md), by the key
 * layout of state/keys.ts. A client computes the key it asked about itself, so an answer about another key
 * is refused (verifyStateProofAnswer's `expectedKey`) instead of trusted.
 */
export type StateKeyQuery =
  | { account: string }
  | { datanet: number }
  | { contribution: number }
  | { model: number }
  | { inference: number }
  | { rewards: string }
  | { stake: { delegator: string; validator: string } }
  /** The chain params record (absent: the genesis params are in force; light/params.ts). */
  | { params: true }
  | { raw: string };

/** Prefixes of state/keys.ts MODULE_PREFIX (the light-state-keys test compares them). */
const PREFIX = {
  account: utf8("bank/acct/"),
  datanet: utf8("dn/net/"),
  contribution: utf8("dn/contrib/"),
  model: utf8("mdl/model/"),
  inference: utf8("att/inf/"),
  rewards: utf8("att/rew/"),
  stake: utf8("stk/del/"),
  params: utf8("gov/params"),
} as const;

/** An id as a key part: 8 bytes big-endian (state/keys.ts idKey). */
function idPart(id: unknown, what: string): Uint8Array {
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) {
    refuse("MALFORMED", `${what} must be a non-negative integer, got ${String(id)}`);
  }
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(id));
  return out;
}

export function stateKeyOf(query: StateKeyQuery): Uint8Array {
  const q = query as Record<string, unknown>;
  const names = Object.keys(q);
  if (names.length !== 1) refuse("MALFORMED", `a key query names exactly one record, got ${names.length} fields`);
  const [name] = names;
  const value = q[name];
  switch (name) {
    case "account":
    case "rewards":
      return concatBytes(PREFIX[name], addressField(value, name));
    case "datanet":
    case "contribution":
    case "model":
    case "inference":
      return concatBytes(PREFIX[name], idPart(value, name));
    case "stake": {
      const s = (value ?? {}) as { delegator?: unknown; validator?: unknown };
      return concatBytes(PREFIX.stake, addressField(s.delegator, "stake.delegator"), addressField(s.validator, "stake.validator"));
    }
    case "params":
      if (value !== true) refuse("MALFORMED", `params must be true, got ${String(value)}`);
      return PREFIX.params;
    case "raw": {
      const bytes = typeof value === "string" ? fromHex(value) : undefined;
      if (bytes === undefined || bytes.length === 0) refuse("MALFORMED", "raw must be a non-empty lowercase hex key");
      return bytes;
    }
    default:
      return refuse("MALFORMED", `"${name}" is not a record name this light client knows (use { raw: hex })`);
  }
}

import { concatBytes, utf8 } from "../crypto/bytes.ts";

/**
 * The state tree's key space. Each module owns one prefix; keys are prefix bytes followed by the module's
 * own key bytes. Prefixes are never reused.
 */
export const MODULE_PREFIX = {
  /** bank/acct/<address 20> -> Account { nonce, balance } */
  bankAccount: utf8("bank/acct/"),
  /** bank/supply -> amount (minimal big-endian) */
  bankSupply: utf8("bank/supply"),
} as const;

export function stateKey(prefix: Uint8Array, id?: Uint8Array): Uint8Array {
  return id === undefined ? prefix : concatBytes(prefix, id);
}
